// Evaluates tests/forms/rules_cases.json through forms/static/skiplogic.js, the browser mirror of
// forms/rules.py, and prints the results as a JSON array (an error becomes {"error": message}).
// Usage: node run_rules_cases.mjs <skiplogic.js> <rules_cases.json>
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const [scriptPath, casesPath] = process.argv.slice(2);
const sandbox = vm.createContext({});
// Loaded exactly as a browser's plain <script src> would run it, minus the document.
vm.runInContext(readFileSync(scriptPath, 'utf8'), sandbox, { filename: scriptPath });
const { evaluate } = sandbox.SkipLogic;

const results = JSON.parse(readFileSync(casesPath, 'utf8')).map((testCase) => {
  try {
    return evaluate(testCase.rule, testCase.answers);
  } catch (error) {
    return { error: String(error.message) };
  }
});
process.stdout.write(JSON.stringify(results));
