import * as Comlink from 'comlink';
import { Engine } from './engine';
import { Gpu } from '../gpu/gpu';
import { browserShaderLibrary } from '../gpu/browserShaderLibrary';

// The module worker's entry: the whole engine lives here, the page holds only a comlink proxy.
Comlink.expose(new Engine(() => Gpu.create(navigator.gpu, browserShaderLibrary())));
