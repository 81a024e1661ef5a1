// Sortable tables: a click on a column's header sorts its rows, again reverses them.
// The page reads the same without it.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead ? table.tHead.rows[0].cells : [];
  Array.prototype.forEach.call(heads, function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[column];
        var time = cell ? cell.querySelector("time[datetime]") : null;
        var text = cell ? cell.textContent.trim() : "";
        // a time alone in its cell sorts by its instant, whatever zone it is shown in
        var value = cell ? (cell.getAttribute("data-sort") ||
          (time && time.textContent.trim() === text ? time.getAttribute("datetime") : text)) : "";
        if (value === "" || value === "-") return null;  // no value: always last
        return /^-?\d+(\.\d+)?%?$/.test(value) ? parseFloat(value) : value;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        var order = typeof x === "number" && typeof y === "number"
          ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
