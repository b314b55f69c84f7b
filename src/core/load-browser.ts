// Loading the compiled core in a browser: streamed compilation from its URL,
// so the module compiles while it downloads. The result is a
// WebAssembly.Module, which the page can post to its worker.

export async function loadCoreModule(url: string | URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the core from ${url}: HTTP ${response.status}`);
  return WebAssembly.compileStreaming(response);
}
