/** JSON text read from `file`, parsed, or an error naming the file ("FILE is not JSON: why"). */
export function parseJsonFrom(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
}
