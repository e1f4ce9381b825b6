// The Storeflow web pixel's behaviour, free of Shopify's package so it runs under Node's tests.
//
// Views are queued and sent in batches (at most MAX_BATCH events, or after FLUSH_MS) as one
// text/plain POST with keepalive, so a page being left does not lose the last batch and the
// browser sends it without a CORS preflight. The visitor id is Shopify's clientId (its own
// first-party cookie, set only with consent). A signed-in customer's id, or the email a guest
// types at checkout, tells the collector who the visitor is; Storeflow links only customers
// the shop already told it about.

export const SUBSCRIBED = [
  'product_viewed',
  'collection_viewed',
  'search_submitted',
  'checkout_contact_info_submitted',
];
export const MAX_BATCH = 10;
export const FLUSH_MS = 2000;

// Both are needed: views feed marketing email. Missing fields mean "not allowed".
export function trackingAllowed(privacy) {
  return Boolean(privacy && privacy.analyticsProcessingAllowed && privacy.marketingAllowed);
}

// A Shopify customer event as the collector's event, or null for what it does not take.
export function toCollectorEvent(event) {
  const at = event.timestamp;
  const data = event.data || {};
  switch (event.name) {
    case 'product_viewed': {
      const variant = data.productVariant || {};
      const product = variant.product || {};
      if (!product.id) return null;
      return {
        type: 'product_viewed',
        product_id: String(product.id),
        variant_id: variant.id ? String(variant.id) : null,
        at,
      };
    }
    case 'collection_viewed':
      return data.collection && data.collection.id
        ? {type: 'collection_viewed', collection_id: String(data.collection.id), at}
        : null;
    case 'search_submitted': {
      const query = data.searchResult && data.searchResult.query;
      return query ? {type: 'search_submitted', query: String(query), at} : null;
    }
    default:
      return null;
  }
}

export function createPixel(api, options = {}) {
  const {analytics, init, customerPrivacy, settings} = api;
  const send = options.fetch || ((url, request) => fetch(url, request));
  const schedule = options.setTimeout || setTimeout;
  const flushMs = options.flushMs ?? FLUSH_MS;
  let privacy = (init && init.customerPrivacy) || {};
  const signedIn = init && init.data && init.data.customer;
  let customer = signedIn && signedIn.id ? {id: String(signedIn.id)} : null;
  let visitor = null;
  let queue = [];
  let timer = null;

  // identify: send even with no view waiting, so earlier views join the customer now.
  function flush(identify = false) {
    timer = null;
    if ((!queue.length && !(identify && customer)) || !visitor || !trackingAllowed(privacy)) {
      queue = [];
      return null;
    }
    const body = {shop: settings.shop, key: settings.collectKey, visitor, events: queue};
    if (customer) body.customer = customer;
    queue = [];
    return send(settings.endpoint, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {'Content-Type': 'text/plain'},
      keepalive: true,
    });
  }

  function later() {
    if (queue.length >= MAX_BATCH) return flush();
    if (timer === null) timer = schedule(flush, flushMs);
    return null;
  }

  if (customerPrivacy && customerPrivacy.subscribe) {
    customerPrivacy.subscribe('visitorConsentCollected', (event) => {
      privacy = event.customerPrivacy || {};
      if (!trackingAllowed(privacy)) queue = []; // withdrawn: what waits is not sent
    });
  }

  for (const name of SUBSCRIBED) {
    analytics.subscribe(name, (event) => {
      if (!trackingAllowed(privacy)) return;
      visitor = event.clientId || visitor;
      if (name === 'checkout_contact_info_submitted') {
        const email = event.data && event.data.checkout && event.data.checkout.email;
        if (email && !customer) {
          customer = {email: String(email)};
          flush(true);
        }
        return;
      }
      const converted = toCollectorEvent(event);
      if (converted) {
        queue.push(converted);
        later();
      }
    });
  }
  return {flush};
}
