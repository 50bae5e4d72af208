// tfjs-golden.cjs runs nsfwjs's MobileNetV2 (the original TF.js layers
// model) on a few synthetic images with @tensorflow/tfjs on the CPU and
// prints golden vectors as JSON: the pooled 1280-d features, the five class
// scores and the block-10 spatial map pooled to 2x2 cells. The Go test
// features/golden_test.go runs the converted ONNX file on the same images
// and compares. Run it through scripts/tfjs-golden.sh.
//
// usage: node tfjs-golden.cjs TFJS_DIR MODEL_JS SHARD_JS
'use strict';
const path = require('path');
const fs = require('fs');
const Module = require('module');

const [tfjsDir, modelJS, shardJS] = process.argv.slice(2);
const req = Module.createRequire(path.join(path.resolve(tfjsDir), 'x.js'));
const tf = req('@tensorflow/tfjs');

// loadModule evaluates one of the package's JS modules (a UMD bundle that
// exports the model JSON or the base64 weights).
function loadModule(file) {
  const m = { exports: {} };
  new Function('module', 'exports', 'require', 'define', fs.readFileSync(file, 'utf8'))(m, m.exports, undefined, undefined);
  return m.exports;
}

// synthImage must stay identical to synthImage in features/golden_test.go:
// integer arithmetic only, RGB bytes in row-major HWC order.
function synthImage(seed, size) {
  const px = new Uint8Array(size * size * 3);
  let s = (seed * 2654435761) >>> 0;
  const cx = 40 + seed * 53 % 140, cy = 60 + seed * 37 % 100, r = 30 + seed * 11 % 40;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const noise = (s >>> 27) - 16;
      const inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
      const stripe = ((x + 2 * y + seed * 7) >> 4) & 1;
      let v = [
        Math.floor(x * 255 / (size - 1)),
        Math.floor(y * 255 / (size - 1)),
        stripe ? 200 : 40,
      ];
      if (inside) v = [255 - v[1], 64 + seed * 50 % 128, v[0]];
      for (let c = 0; c < 3; c++) {
        px[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, v[c] + noise));
      }
    }
  }
  return px;
}

async function main() {
  const topo = loadModule(modelJS);
  const weights = loadModule(shardJS);
  const buf = Buffer.from(weights, 'base64');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const specs = [].concat(...topo.weightsManifest.map((g) => g.weights));
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: topo.modelTopology, weightSpecs: specs, weightData: ab,
  }));
  const names = ['flatten_1', 'block_10_project_BN', 'dense_3'];
  const probe = tf.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output) });
  const size = 224;
  const out = { source: 'nsfwjs@4.4.0 dist/models/mobilenet_v2', runtime: 'tfjs ' + tf.version.tfjs + ' ' + tf.getBackend(), size, images: [] };
  for (const seed of [1, 2, 3]) {
    const px = synthImage(seed, size);
    const x = tf.tensor4d(px, [1, size, size, 3], 'int32').toFloat().div(255);
    const [pooled, map, scores] = probe.predict(x);
    // block-10 map, NHWC [1,14,14,96], averaged over 2x2 cells of 7x7,
    // written channel-major like NCHW: grid[c*4 + gy*2 + gx].
    const m = await map.data();
    const grid = new Array(96 * 4).fill(0);
    for (let yy = 0; yy < 14; yy++) for (let xx = 0; xx < 14; xx++) for (let c = 0; c < 96; c++) {
      const cell = Math.floor(yy / 7) * 2 + Math.floor(xx / 7);
      grid[c * 4 + cell] += m[(yy * 14 + xx) * 96 + c] / 49;
    }
    out.images.push({ seed, pooled: Array.from(await pooled.data()), scores: Array.from(await scores.data()), grid2: grid });
  }
  process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === 'number' ? Number(v.toPrecision(8)) : v)) + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
