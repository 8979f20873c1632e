import { describeParity } from './paritySuite';

describeParity('qwen2');
