// Drives the Nexus stand-in with Sonatype's own generated OpenAPI client
// (@sonatype/nexus-repo-api-client): every REST call univirt-bundle push makes, with the
// status codes nexus-api.md documents. Input from the environment (never argv):
// NEXUS_URL, NEXUS_USER, NEXUS_PASSWORD, DOCKER_PORT, DEB (a .deb file), RPM (an .rpm file).
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const nexus = require('@sonatype/nexus-repo-api-client');

const base = `${process.env.NEXUS_URL}/service/rest`;
const config = new nexus.Configuration({
  basePath: base, username: process.env.NEXUS_USER, password: process.env.NEXUS_PASSWORD,
});
const anonymous = new nexus.Configuration({basePath: base});
const storage = {blobStoreName: 'default', strictContentTypeValidation: true,
  writePolicy: 'ALLOW_ONCE'};
const checks = [];

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    if (e instanceof nexus.ResponseError) {
      return e.response;
    }
    throw e;
  }
}

function blob(file) {
  return new Blob([fs.readFileSync(file)]);
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function main() {
  const statusApi = new nexus.StatusApi(config);
  await statusApi.listStatus();
  await statusApi.listStatusWritable();
  checks.push('status');

  const anonRepos = new nexus.RepositoryManagementApi(anonymous);
  const denied = await status(anonRepos.getRepositories({repositoryName: 'x'}));
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get('www-authenticate'), /^BASIC realm="Sonatype Nexus/);
  checks.push('401 with WWW-Authenticate');

  const repos = new nexus.RepositoryManagementApi(config);
  await repos.createRawHostedRepository({rawHostedRepositoryApiRequest: {
    name: 'check-raw', online: true,
    storage: {...storage, strictContentTypeValidation: false},
    raw: {contentDisposition: 'ATTACHMENT'}}});
  await repos.createAptHostedRepository({aptHostedRepositoryApiRequest: {
    name: 'check-apt', online: true, storage, apt: {distribution: 'bookworm'},
    aptSigning: {keypair: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n(test)\n'}}});
  await repos.createYumHostedRepository({yumHostedRepositoryApiRequest: {
    name: 'check-yum', online: true, storage, yum: {repodataDepth: 0, deployPolicy: 'STRICT'}}});
  await repos.createDockerHostedRepository({dockerHostedRepositoryApiRequest: {
    name: 'check-docker', online: true, storage,
    docker: {v1Enabled: false, forceBasicAuth: true,
      httpPort: Number(process.env.DOCKER_PORT)}}});
  checks.push('create raw/apt/yum/docker hosted');

  const duplicate = await status(repos.createRawHostedRepository({
    rawHostedRepositoryApiRequest: {name: 'CHECK-RAW', online: true, storage}}));
  assert.equal(duplicate.status, 400);
  assert.equal(typeof (await duplicate.json()), 'string');
  const invalid = await status(repos.createAptHostedRepository({aptHostedRepositoryApiRequest: {
    name: 'check-apt2', online: true, storage, apt: {distribution: ''}, aptSigning: {}}}));
  assert.equal(invalid.status, 400);
  assert.ok(Array.isArray(await invalid.json()));
  checks.push('400 on duplicate (ignoring case) and on validation');

  const raw = await repos.getRepositories({repositoryName: 'check-raw'});
  assert.equal(raw.format, 'raw');
  assert.equal(raw.type, 'hosted');
  assert.equal(raw.url, `${process.env.NEXUS_URL}/repository/check-raw`);
  const apt = await repos.getAptHostedRepository({repositoryName: 'check-apt'});
  assert.equal(apt.apt.distribution, 'bookworm');
  const docker = await repos.getDockerHostedRepository({repositoryName: 'check-docker'});
  assert.equal(docker.docker.httpPort, Number(process.env.DOCKER_PORT));
  const missing = await status(repos.getRepositories({repositoryName: 'nope'}));
  assert.equal(missing.status, 404);
  const wrongFormat = await status(repos.getAptHostedRepository({repositoryName: 'check-raw'}));
  assert.equal(wrongFormat.status, 404);
  checks.push('get repository, 404s');

  const components = new nexus.ComponentsApi(config);
  const deb = process.env.DEB;
  const rpm = process.env.RPM;
  const files = [];
  for (let i = 0; i < 5; i++) {
    const file = path.join(process.env.TMPDIR || '/tmp', `check-${process.pid}-${i}.txt`);
    fs.writeFileSync(file, `file ${i} ${process.pid}\n`);
    files.push(file);
    await components.createComponents({repository: 'check-raw', rawDirectory: '/bundles//v1/',
      rawAsset1: blob(file), rawAsset1Filename: path.basename(file)});
  }
  await components.createComponents({repository: 'check-yum', yumAsset: blob(rpm),
    yumAssetFilename: path.basename(rpm)});
  await components.createComponents({repository: 'check-apt', aptAsset: blob(deb)});
  const again = await status(components.createComponents({repository: 'check-raw',
    rawDirectory: 'bundles/v1', rawAsset1: blob(files[0]),
    rawAsset1Filename: path.basename(files[0])}));
  assert.equal(again.status, 400);
  assert.match(await again.text(), /check-raw\/bundles\/v1\/.* cannot be updated/);
  const unknownRepo = await status(components.createComponents({repository: 'nope',
    rawDirectory: 'x', rawAsset1: blob(files[0]), rawAsset1Filename: 'a'}));
  assert.equal(unknownRepo.status, 404);
  checks.push('upload raw/yum/apt 204, ALLOW_ONCE re-upload 400, unknown repo 404');

  // Continuation tokens: page through with a page size of 2.
  await fetch(`${process.env.NEXUS_URL}/__standin/knobs`, {method: 'POST',
    body: JSON.stringify({page_size: 2, search_page_size: 2})});
  let token;
  const seen = [];
  let pages = 0;
  do {
    const page = await components.listComponents({repository: 'check-raw',
      continuationToken: token});
    pages += 1;
    for (const c of page.items) {
      seen.push(c.assets[0].path);
    }
    token = page.continuationToken || undefined;
  } while (token);
  assert.equal(seen.length, 5);
  assert.equal(pages, 3);
  assert.ok(seen.every((p) => p.startsWith('bundles/v1/check-')));
  checks.push('list components with continuation tokens');

  const search = new nexus.SearchApi(config);
  const found = await search.listSearchAssets({repository: 'check-apt', sha256: sha256(deb)});
  assert.equal(found.items.length, 1);
  assert.match(found.items[0].path, /^pool\/[a-z0-9]\/[^/]+\/[^/]+_[^_]+_(amd64|all)\.deb$/);
  assert.equal(found.items[0].checksum.sha256, sha256(deb));
  assert.equal(found.items[0].fileSize, fs.statSync(deb).size);
  const yumFound = await search.listSearchAssets({repository: 'check-yum', sha256: sha256(rpm)});
  assert.equal(yumFound.items[0].path, path.basename(rpm));
  const none = await search.listSearchAssets({repository: 'check-raw', sha256: '0'.repeat(64)});
  assert.equal(none.items.length, 0);
  assert.ok(none.continuationToken == null);
  let all = 0;
  token = undefined;
  do {
    const page = await search.listSearchAssets({repository: 'check-raw', continuationToken: token});
    all += page.items.length;
    token = page.continuationToken || undefined;
  } while (token);
  assert.equal(all, 5);
  checks.push('search assets by sha256, empty page, paging');

  const assets = new nexus.AssetsApi(config);
  const listed = await assets.listAssets({repository: 'check-raw'});
  await assets.deleteAssets({id: listed.items[0].id});
  const after = await search.listSearchAssets({repository: 'check-raw',
    sha256: listed.items[0].checksum.sha256});
  assert.equal(after.items.length, 0);
  checks.push('delete asset by id');

  await repos.deleteRepositories({repositoryName: 'check-raw'});
  assert.equal((await status(repos.getRepositories({repositoryName: 'check-raw'}))).status, 404);
  checks.push('delete repository');
  files.forEach((f) => fs.unlinkSync(f));
  console.log(JSON.stringify({ok: true, checks}));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
