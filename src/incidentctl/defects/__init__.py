"""Product defects and RCA actions sent to GitHub or Jira, exactly once (SPEC §2, §6).

``plan`` decides, from the documents and the history of the audited branch, where each
defect and each open fix/prevent action goes, with which labels and due date, and why.
``sync`` finds or creates the tickets and writes their references back into the files.
"""
