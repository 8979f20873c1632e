import { DEMO_SHARD_NAME } from './demoRecipe';

/** The demo's training shard, which the lab serves from public/samples/. */
export async function fetchDemoShard(): Promise<File> {
  const response = await fetch(`/samples/${DEMO_SHARD_NAME}`);
  if (!response.ok) throw new Error(`the demo shard is missing (HTTP ${response.status}); start the lab with npm run lab`);
  return new File([await response.blob()], DEMO_SHARD_NAME);
}
