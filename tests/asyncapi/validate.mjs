// Reads AsyncAPI documents (JSON files named on the command line) and prints, for each, the
// parser's diagnostics of severity error or warning as JSON; exits 1 if any document has an error.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
const report = {};
for (const path of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"));
  const serious = diagnostics.filter((d) => d.severity <= 1);
  report[path] = serious.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path.join(".") }));
  if (!document || serious.some((d) => d.severity === 0)) failed = true;
}
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
