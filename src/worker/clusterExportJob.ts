import { LabError } from '../errors';
import { examplesIn, type ExampleSource } from '../data/example';
import { examplesFingerprint } from '../data/examplesFingerprint';
import type { Tokenizer } from '../tokenizer';
import { clusterExport, type ClusterFile } from '../train/cluster/clusterExport';
import { prepareTrainingData } from '../train/prepareData';
import type { AdapterSummary } from './adapterLibrary';

/**
 * A trained adapter's run exported for multi-GPU trainers. A finished run keeps no data, only what rebuilds it:
 * the fingerprint of the cleaned examples it started from and its split settings. The rows are rebuilt from the
 * shards loaded now, which must be the same (refused otherwise, naming them), through the trainer's own path.
 */
export function exportRunForCluster(adapter: AdapterSummary, examples: ExampleSource, tokenizer: Tokenizer): ClusterFile[] {
  const where = `adapter "${adapter.id}"`;
  const { config, data } = adapter;
  if (!config || !data?.rebuild) {
    throw new LabError(
      'has no record of its training rows to export',
      where,
      'Only adapters trained in the lab (since exports were added) can be exported with their data.',
    );
  }
  if (examplesFingerprint(examplesIn(examples)) !== data.rebuild.examplesFingerprint) {
    throw new LabError(
      'the loaded shards are not the ones this adapter was trained on',
      where,
      `Load exactly ${data.shards.map((s) => s.name).join(', ')} (with the same evaluation sets for decontamination), then export again.`,
    );
  }
  const prepared = prepareTrainingData(examples, tokenizer, {
    seqLen: config.seqLen,
    seed: config.seed,
    validationFraction: data.rebuild.validationFraction,
    curriculum: config.curriculum,
  });
  return clusterExport({
    runName: adapter.name,
    config,
    ggufFile: adapter.baseModel?.fileName ?? 'base model',
    texts: { train: prepared.kept.train.map((i) => examples.at(i)!), validation: prepared.kept.validation.map((i) => examples.at(i)!) },
    truncated: prepared.truncated,
  });
}
