// aws-cdk-lib's built-in "CloudFormation Validate" plugin costs ~3 s per synth; `cdk synth` keeps it on.
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
