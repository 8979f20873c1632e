import { withPeer, type BenchRow } from './harness';
import { speedMetricStep } from './modelInputs';
import { llamaCppPeerName, llamaCppResult, type LlamaCppOutcome } from './peers/llamaCppChild';

/**
 * The `model` suite's rows from the page with the llama.cpp peers measured Node-side joined in: each of ours'
 * prefill and decode rows becomes one row per llama.cpp backend, with its value or the reason it has none; the
 * rows wllama already joined in the page, the dispatch counts and the batched rows (no peer: the peers decode
 * one sequence) are kept. Each model's rows come prefill first, then decode, then the rest, in their order.
 */
export function joinLlamaCpp(ours: BenchRow[], llamaCpp: ReadonlyMap<string, readonly LlamaCppOutcome[]>): BenchRow[] {
  const cases = [...new Set(ours.map((r) => r.case))];
  return cases.flatMap((name) => {
    const outcomes = llamaCpp.get(name) ?? [];
    const rows = ours
      .filter((r) => r.case === name)
      .flatMap((row) => {
        const step = row.suite === 'model' && !row.peer ? speedMetricStep(row.metric) : undefined;
        if (!step || outcomes.length === 0) return [row];
        return outcomes.map((o) => withPeer(row, llamaCppPeerName(o), llamaCppResult(o, step)));
      });
    const rank = (r: BenchRow) => {
      const step = r.suite === 'model' ? speedMetricStep(r.metric) : undefined;
      return step === 'prefill' ? 0 : step === 'decode' ? 1 : 2;
    };
    return rows.sort((a, b) => rank(a) - rank(b));
  });
}
