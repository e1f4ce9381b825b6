// The product-view script run in a fake page (window, document, navigator) under Node's
// test runner: what it sends, and that it waits for consent where the WP Consent API is.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import vm from 'node:vm';

const SCRIPT = readFileSync(new URL('../../assets/js/product-views.js', import.meta.url), 'utf8');
const CONFIG = {
  endpoint: 'https://app.storeflow.io/collect/woocommerce',
  shop: 'https://shop.example',
  key: 'public-collect-key',
  productId: '12',
  cookie: 'storeflow_vid',
  consentCategory: 'marketing',
  identityParam: 'sf_id',
  identityCookie: 'storeflow_id',
  identityMaxAge: 2592000,
};

// A cookie jar as a browser keeps one: reading gives "name=value; ..."; every write is recorded.
function cookieJar(initial) {
  const jar = new Map(initial ? initial.split('; ').map((pair) => pair.split('=')) : []);
  const writes = [];
  return {
    writes,
    get text() {
      return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    },
    write(cookie) {
      writes.push(cookie);
      const [pair, ...attributes] = cookie.split('; ');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (attributes.includes('max-age=0')) jar.delete(name);
      else jar.set(name, value);
    },
  };
}

function page({consent, config = CONFIG, cookie = '', search = ''} = {}) {
  const beacons = [];
  const listeners = {};
  const jar = cookieJar(cookie);
  const document = {
    get cookie() {
      return jar.text;
    },
    set cookie(value) {
      jar.write(value);
    },
    addEventListener(name, handler) {
      (listeners[name] ||= []).push(handler);
    },
  };
  const window = {
    storeflowViews: config,
    location: {protocol: 'https:', search},
    crypto: {randomUUID: () => 'b6f1c0de-0000-4000-8000-00000000abcd'},
  };
  if (consent) {
    window.wp_has_consent = (category) => consent[category] === 'allow';
  }
  const navigator = {
    sendBeacon(url, blob) {
      beacons.push({url, blob});
      return true;
    },
  };
  vm.runInNewContext(SCRIPT, {window, document, navigator, Blob, Date, RegExp, Uint8Array});
  return {
    beacons,
    document,
    writes: jar.writes,
    async bodies() {
      return Promise.all(beacons.map(async (b) => JSON.parse(await b.blob.text())));
    },
    fire(name, detail) {
      for (const handler of listeners[name] || []) handler({detail});
    },
  };
}

test('without a consent plugin one view is beaconed as text/plain with a new visitor cookie', async () => {
  const shop = page();
  assert.equal(shop.beacons.length, 1);
  assert.equal(shop.beacons[0].url, CONFIG.endpoint);
  assert.equal(shop.beacons[0].blob.type, 'text/plain');
  const [body] = await shop.bodies();
  assert.equal(body.shop, 'https://shop.example');
  assert.equal(body.key, 'public-collect-key');
  assert.equal(body.visitor, 'b6f1c0de-0000-4000-8000-00000000abcd');
  assert.deepEqual(body.events.map((e) => [e.type, e.product_id]), [['product_viewed', '12']]);
  assert.ok(!Number.isNaN(Date.parse(body.events[0].at)));
  assert.equal(body.customer, undefined);
  assert.deepEqual(shop.writes.length, 1);
  assert.match(shop.writes[0], /^storeflow_vid=b6f1c0de-.*; path=\/; max-age=31536000; SameSite=Lax; Secure$/);
});

test('a returning visitor keeps their id and a signed-in one is named', async () => {
  const signed = {id: '41', sig: 'ab'.repeat(32)};
  const shop = page({cookie: 'other=1; storeflow_vid=known-visitor-1', config: {...CONFIG, customer: signed}});
  const [body] = await shop.bodies();
  assert.equal(body.visitor, 'known-visitor-1');
  assert.deepEqual(body.customer, signed);
});

test('a shopper from our email link is named by its token, kept in a cookie for later pages', async () => {
  const landing = page({search: '?utm_source=storeflow&sf_id=eyJ0b2tlbiI6MX0.signed-1'});
  const [body] = await landing.bodies();
  assert.deepEqual(body.customer, {token: 'eyJ0b2tlbiI6MX0.signed-1'});
  assert.ok(landing.writes.includes('storeflow_id=eyJ0b2tlbiI6MX0.signed-1; path=/; max-age=2592000; SameSite=Lax; Secure'));

  const later = page({cookie: landing.document.cookie});
  const [next] = await later.bodies();
  assert.deepEqual(next.customer, {token: 'eyJ0b2tlbiI6MX0.signed-1'});
  assert.equal(next.visitor, body.visitor);
});

test('without marketing consent the email link token is not kept; withdrawn, it is dropped', async () => {
  const consent = {marketing: 'deny'};
  const shop = page({consent, search: '?sf_id=eyJ0b2tlbiI6MX0.signed-1'});
  assert.equal(shop.beacons.length, 0);
  assert.deepEqual(shop.writes, []);

  const known = page({consent: {marketing: 'allow'}, cookie: 'storeflow_vid=v-1; storeflow_id=kept-token-1'});
  known.fire('wp_listen_for_consent_change', {marketing: 'deny'});
  assert.equal(known.document.cookie, 'storeflow_vid=v-1');
});

test('with the WP Consent API and no marketing consent nothing is sent and no cookie set', () => {
  const shop = page({consent: {marketing: 'deny', statistics: 'allow'}});
  assert.equal(shop.beacons.length, 0);
  assert.equal(shop.document.cookie, '');
});

test('consent given later on the page sends the view once', async () => {
  const consent = {marketing: 'deny'};
  const shop = page({consent});
  consent.marketing = 'allow';
  shop.fire('wp_listen_for_consent_change', {statistics: 'allow'});
  assert.equal(shop.beacons.length, 0);
  shop.fire('wp_listen_for_consent_change', {marketing: 'allow'});
  shop.fire('wp_listen_for_consent_change', {marketing: 'allow'});
  assert.equal(shop.beacons.length, 1);
});

test('with marketing consent already given the view goes at once', () => {
  assert.equal(page({consent: {marketing: 'allow'}}).beacons.length, 1);
});
