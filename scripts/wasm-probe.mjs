// The linear memory of our core's WebAssembly instances, which the wasm-bindgen glue keeps
// private: shared by the robustness suites and the bench, which both watch it stay flat.
import path from 'node:path';

/**
 * Remembers every WebAssembly instance of our core as the wasm-bindgen glue makes it (the glue
 * keeps its instance private), with the glue file that made it, read off the stack. Call before
 * the packages are loaded. `memoryOf(packageDir)` is the linear memory, in bytes, of the newest
 * instance `packageDir`'s glue made; only construction is intercepted, never a call.
 */
export const probeWasmMemory = () => {
  const instances = [];
  const Original = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(Original, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(
        target,
        args,
        newTarget === WebAssembly.Instance ? target : newTarget,
      );
      if (
        instance.exports?.memory instanceof WebAssembly.Memory &&
        typeof instance.exports.sendMessage === 'function'
      ) {
        const origin =
          /\((\/[^)]*aliyun_connectors\.js)/.exec(new Error().stack ?? '')?.[1] ?? 'unknown';
        instances.push({ origin, instance });
      }
      return instance;
    },
  });
  return {
    memoryOf: (packageDir) => {
      const found = instances
        .filter(({ origin }) => origin.startsWith(`${packageDir}${path.sep}`))
        .at(-1);
      return found ? found.instance.exports.memory.buffer.byteLength : null;
    },
    stop: () => {
      WebAssembly.Instance = Original;
    },
  };
};
