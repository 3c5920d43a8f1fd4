// Deterministic weight initialisation lives in @wcnn/nn (the layers need it and nn may not import
// models); re-exported here so existing imports keep working.
export { Rng, heNormal } from '@wcnn/nn';
