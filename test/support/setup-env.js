// aws-cdk-lib's built-in "CloudFormation Validate" plugin costs ~3 s per synth; `cdk synth` keeps it on.
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
// the bundled helm and kubectl are unpacked once into the repository's .cache, not the user's cache
process.env.HELM_SFN_CACHE_DIR = process.env.HELM_SFN_CACHE_DIR ?? require('path').resolve(__dirname, '..', '..', '.cache');
