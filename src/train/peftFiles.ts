/**
 * The two files of a PEFT adapter directory, as PEFT's `save_pretrained` names them. Browser-safe (no node:fs), so
 * the worker's adapters library and the CLI's directory reader/writer share one spelling.
 */
export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
