import assert from 'node:assert/strict';
import {test} from 'node:test';

import {
  IDENTITY_COOKIE,
  MAX_BATCH,
  SUBSCRIBED,
  createPixel,
  toCollectorEvent,
} from '../src/pixel.js';
import {FIXTURES, fakeShopify} from './fake-shopify.mjs';

test('subscribes to the four customer events the collector needs', () => {
  const shopify = fakeShopify();
  createPixel(shopify.api, shopify.options);
  assert.deepEqual(Object.keys(shopify.handlers).sort(), [...SUBSCRIBED].sort());
});

test('product, collection and search views go in one batch, without the unprovable customer id', () => {
  const shopify = fakeShopify();
  createPixel(shopify.api, shopify.options);
  shopify.publish('search_submitted');
  shopify.publish('collection_viewed');
  shopify.publish('product_viewed');
  assert.equal(shopify.sent.length, 0); // waits for the batch timer
  shopify.runTimers();

  assert.equal(shopify.sent.length, 1);
  const [{url, request, body}] = shopify.sent;
  assert.equal(url, 'https://storeflow.test/collect/shopify');
  assert.equal(request.method, 'POST');
  assert.equal(request.keepalive, true);
  assert.equal(request.headers['Content-Type'], 'text/plain'); // no CORS preflight
  assert.deepEqual(body, {
    shop: 'sklep-ola.myshopify.com',
    key: 'public-collect-key',
    visitor: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    events: [
      {type: 'search_submitted', query: 'kurtka jeansowa', at: '2026-11-29T10:13:45.789Z'},
      {type: 'collection_viewed', collection_id: '455123456789', at: '2026-11-29T10:14:02.456Z'},
      {
        type: 'product_viewed',
        product_id: '8123456789012',
        variant_id: '44211234567890',
        at: '2026-11-29T10:15:30.123Z',
      },
    ],
  });
});

test('a full batch is sent at once without waiting for the timer', () => {
  const shopify = fakeShopify();
  createPixel(shopify.api, shopify.options);
  for (let i = 0; i < MAX_BATCH; i += 1) shopify.publish('product_viewed');
  assert.equal(shopify.sent.length, 1);
  assert.equal(shopify.sent[0].body.events.length, MAX_BATCH);
});

test('nothing is sent without analytics and marketing consent', () => {
  const shopify = fakeShopify({privacy: {analyticsProcessingAllowed: true, marketingAllowed: false}});
  createPixel(shopify.api, shopify.options);
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.deepEqual(shopify.sent, []);
});

test('consent given later lets views through; withdrawn, the waiting batch is dropped', () => {
  const shopify = fakeShopify({privacy: {}});
  createPixel(shopify.api, shopify.options);
  shopify.publish('product_viewed');
  shopify.consent({analyticsProcessingAllowed: true, marketingAllowed: true});
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.equal(shopify.sent.length, 1);
  assert.equal(shopify.sent[0].body.events.length, 1); // the view before consent is not kept

  shopify.publish('product_viewed');
  shopify.consent({analyticsProcessingAllowed: true, marketingAllowed: false});
  shopify.runTimers();
  assert.equal(shopify.sent.length, 1);
});

test('a guest at checkout sends the checkout token at once, and once more later', () => {
  const shopify = fakeShopify({customer: null});
  createPixel(shopify.api, shopify.options);
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.equal(shopify.sent[0].body.customer, undefined);

  shopify.publish('checkout_contact_info_submitted');
  assert.equal(shopify.sent.length, 2);
  // The token, not the email: the shop's checkout webhook tells Storeflow whose it is.
  assert.deepEqual(shopify.sent[1].body.customer, {checkout: 'b1946ac92492d2347c6235b4d2611184'});
  assert.deepEqual(shopify.sent[1].body.events, []);
  shopify.runTimers(); // the webhook may arrive after the pixel: it says so again
  assert.equal(shopify.sent.length, 3);
  assert.deepEqual(shopify.sent[2].body.customer, {checkout: 'b1946ac92492d2347c6235b4d2611184'});
});

const LANDING = 'https://sklep-ola.myshopify.com/products/kurtka-jeansowa?utm_source=storeflow&sf_id=eyJ0b2tlbiI6MX0.signed';

test('our email link\'s token is kept in a first-party cookie and sent with the views', async () => {
  const shopify = fakeShopify({customer: null, landing: LANDING});
  createPixel(shopify.api, shopify.options);
  await Promise.resolve();
  assert.equal(shopify.jar[IDENTITY_COOKIE], 'eyJ0b2tlbiI6MX0.signed');
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.deepEqual(shopify.sent[0].body.customer, {token: 'eyJ0b2tlbiI6MX0.signed'});

  // The next page, without the token in its address: the cookie remembers who they are.
  const next = fakeShopify({customer: null, cookies: {...shopify.jar}});
  createPixel(next.api, next.options);
  await Promise.resolve();
  next.publish('product_viewed');
  next.runTimers();
  assert.deepEqual(next.sent[0].body.customer, {token: 'eyJ0b2tlbiI6MX0.signed'});
});

test('without consent the email link\'s token is neither kept nor sent; given later, it is', () => {
  const shopify = fakeShopify({customer: null, landing: LANDING, privacy: {}});
  createPixel(shopify.api, shopify.options);
  assert.deepEqual(shopify.jar, {});
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.deepEqual(shopify.sent, []);

  shopify.consent({analyticsProcessingAllowed: true, marketingAllowed: true});
  assert.equal(shopify.jar[IDENTITY_COOKIE], 'eyJ0b2tlbiI6MX0.signed');
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.deepEqual(shopify.sent[0].body.customer, {token: 'eyJ0b2tlbiI6MX0.signed'});
});

test('consent withdrawn forgets who the visitor is: the cookie goes, no identity is sent', async () => {
  const shopify = fakeShopify({customer: null, cookies: {[IDENTITY_COOKIE]: 'kept-token-123'}});
  createPixel(shopify.api, shopify.options);
  await Promise.resolve();
  shopify.consent({analyticsProcessingAllowed: true, marketingAllowed: false});
  assert.equal(shopify.jar[IDENTITY_COOKIE], undefined);
  shopify.consent({analyticsProcessingAllowed: true, marketingAllowed: true});
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.equal(shopify.sent.length, 1);
  assert.equal(shopify.sent[0].body.customer, undefined);
});

test('events the collector does not take are dropped, not sent half-filled', () => {
  assert.equal(toCollectorEvent({...FIXTURES.product_viewed, data: {}}), null);
  assert.equal(toCollectorEvent({...FIXTURES.search_submitted, data: {searchResult: {}}}), null);
  assert.equal(toCollectorEvent({name: 'page_viewed', timestamp: 'x', data: {}}), null);
});

test('a cookie kept on an earlier visit is read once consent is given, not before', async () => {
  const shopify = fakeShopify({customer: null, privacy: {}, cookies: {[IDENTITY_COOKIE]: 'kept-token-456'}});
  createPixel(shopify.api, shopify.options);
  await Promise.resolve();
  shopify.consent({analyticsProcessingAllowed: true, marketingAllowed: true});
  await new Promise((resolve) => setImmediate(resolve));
  shopify.publish('product_viewed');
  shopify.runTimers();
  assert.deepEqual(shopify.sent[0].body.customer, {token: 'kept-token-456'});
});
