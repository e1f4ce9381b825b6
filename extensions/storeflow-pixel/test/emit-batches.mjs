// Prints, one JSON line each, the request bodies the pixel sends for the documented events,
// stamped now: tests/web/test_collect_pixel.py posts them to the real collector.
import {createPixel} from '../src/pixel.js';
import {fakeShopify} from './fake-shopify.mjs';

const [shop, key] = process.argv.slice(2);
const shopify = fakeShopify({customer: null});
shopify.api.settings.shop = shop;
shopify.api.settings.collectKey = key;
createPixel(shopify.api, shopify.options);
const now = () => new Date().toISOString();
for (const name of ['search_submitted', 'collection_viewed', 'product_viewed', 'product_viewed']) {
  shopify.publish(name, {timestamp: now()});
}
shopify.runTimers();
shopify.publish('checkout_contact_info_submitted', {timestamp: now()});
for (const {body} of shopify.sent) console.log(JSON.stringify(body));
