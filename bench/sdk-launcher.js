#!/usr/bin/env node
// A launcher built on the official Infisical Node SDK (@infisical/sdk,
// installed into bench/node_modules by bench/install.sh): what a Node shop
// would write instead of infx-exec. Same job: universal-auth login against
// INFISICAL_API_URL (the SDK's siteUrl), list the secrets of one path with
// imports and references expanded, then run the command with them. Node
// cannot execve(2), so the command is a child and its status is passed on.
// Used by bench/measure.py (startup.py) as a comparison point only.
//
//   node sdk-launcher.js COMMAND [ARG]...
'use strict';

const { spawn } = require('child_process');
const { InfisicalSDK } = require('@infisical/sdk');

const CREDENTIALS = ['INFISICAL_UNIVERSAL_AUTH_CLIENT_ID',
  'INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET'];

async function main(argv) {
  const e = process.env;
  const sdk = new InfisicalSDK({ siteUrl: e.INFISICAL_API_URL });
  await sdk.auth().universalAuth.login({
    clientId: e.INFISICAL_UNIVERSAL_AUTH_CLIENT_ID,
    clientSecret: e.INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET,
  });
  const res = await sdk.secrets().listSecrets({
    projectId: e.INFISICAL_PROJECT_ID,
    environment: e.INFISICAL_ENVIRONMENT,
    secretPath: e.INFISICAL_SECRET_PATH || '/',
    expandSecretReferences: true,
    includeImports: true,
    recursive: false,
  });

  const env = { ...process.env };
  for (const name of CREDENTIALS) delete env[name];
  // Imports first, the folder's own secrets last: own secrets win.
  for (const imp of res.imports || [])
    for (const s of imp.secrets) env[s.secretKey] = s.secretValue;
  for (const s of res.secrets) env[s.secretKey] = s.secretValue;

  const child = spawn(argv[0], argv.slice(1), { env, stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'])
    process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    console.error(`sdk-launcher: ${argv[0]}: ${err.message}`);
    process.exit(err.code === 'ENOENT' ? 127 : 126);
  });
  child.on('exit', (code, signal) => {
    process.exit(code !== null ? code : 128 + require('os').constants.signals[signal]);
  });
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`sdk-launcher: ${err && err.message ? err.message : err}`);
  process.exit(125);
});
