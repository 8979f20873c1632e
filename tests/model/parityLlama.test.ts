import { describeParity } from './paritySuite';

describeParity('llama');
