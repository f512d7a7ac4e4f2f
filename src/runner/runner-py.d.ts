// `import src from "./runner.py" with { type: "text" }` (Bun text loader) yields the file contents.
declare module "*.py" {
  const text: string;
  export default text;
}
