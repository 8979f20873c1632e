import type { Binding, Recorder } from '../../gpu/recorder';
import type { TrackedBuffer } from '../../gpu/allocator';
import { rmsNorm, rmsNormBackward } from '../../kernels/rmsnorm';
import { crossEntropyForward, crossEntropyForwardBackward, crossEntropyMean } from '../../kernels/crossEntropy';
import { linear, linearBackward } from '../linear';
import { loadCheckpoint, type TrainingContext } from './trainingLayer';

function rowsOf(buffer: TrackedBuffer, start: number, rows: number, width: number): Binding {
  return { buffer: buffer.buffer, offset: start * width * 4, size: rows * width * 4, range: true };
}

/**
 * The loss head over the last checkpoint x: xf = rmsnorm(x), then per chunk of rows logits = xf·Woutᵀ and the
 * softmax cross-entropy against the labels (masked tokens count nothing); lossOut = [mean, count, sum].
 * With `gradScale` it also runs the backward pass: dlogits = gradScale·(softmax − onehot) in place of the logits,
 * dxf = dlogits·Wout chunk by chunk, and finally dx = dL/dx through the final norm. Only one chunk of logits
 * [lossChunkRows, V] ever exists. dxn holds dxf (the layers' backward overwrites it before reading it); the last
 * layer's working set is left intact, so its backward can follow without recomputing it — all but the f32 copy of
 * an f16-pair checkpoint (layerInput), which x is here and the graph unpacks again.
 */
export function lossHead(rec: Recorder, ctx: TrainingContext, gradScale?: number): void {
  const { config: c, buffers: b, weights: w } = ctx;
  const T = ctx.shape.batch * ctx.shape.seqLen;
  const x = loadCheckpoint(rec, ctx, c.nLayers);
  const xf = b.xf;
  const dxf = b.dxn;
  rmsNorm(rec, { x, w: w.outputNorm, y: xf, rstd: b.rstdF }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
  const chunkRows = Math.min(ctx.shape.lossChunkRows, T);
  for (let start = 0; start < T; start += chunkRows) {
    const rows = Math.min(chunkRows, T - start);
    linear(rec, rowsOf(xf, start, rows, c.nEmbd), w.output, b.logits, rows); // [rows, V]
    const ce = { logits: b.logits, labels: b.labels, loss: b.tokenLoss, lse: b.tokenLse };
    const chunk = { rows, vocab: c.nVocab, rowOffset: start };
    if (gradScale === undefined) {
      crossEntropyForward(rec, ce, chunk);
      continue;
    }
    crossEntropyForwardBackward(rec, ce, { ...chunk, scale: gradScale });
    linearBackward(rec, b.logits, w.output, rowsOf(dxf, start, rows, c.nEmbd), rows);
  }
  crossEntropyMean(rec, { labels: b.labels, loss: b.tokenLoss, out: b.lossOut }, { tokens: T, vocab: c.nVocab });
  if (gradScale !== undefined) {
    rmsNormBackward(rec, { x, w: w.outputNorm, dy: dxf, rstd: b.rstdF, dx: b.dx }, { rows: T, n: c.nEmbd });
  }
}
