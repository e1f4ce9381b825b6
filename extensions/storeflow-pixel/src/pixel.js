// The Storeflow web pixel's behaviour, free of Shopify's package so it runs under Node's tests.
//
// Views are queued and sent in batches (at most MAX_BATCH events, or after FLUSH_MS) as one
// text/plain POST with keepalive, so a page being left does not lose the last batch and the
// browser sends it without a CORS preflight. The visitor id is Shopify's clientId (its own
// first-party cookie, set only with consent).
//
// Who the visitor is, the collector believes only with proof (anyone can post to it): our
// email link's identity token (the landing URL's `sf_id`, kept in the first-party cookie
// IDENTITY_COOKIE only while the visitor allows tracking), or the checkout token once the
// shopper typed their contact at checkout (the shop's checkout webhook says whose it is). A
// signed-in customer's id is not sent: nothing in the pixel can prove it, the same settings
// reach every visitor.
export const SUBSCRIBED = [
  'product_viewed',
  'collection_viewed',
  'search_submitted',
  'checkout_contact_info_submitted',
];
export const MAX_BATCH = 10;
export const FLUSH_MS = 2000;
export const IDENTITY_PARAM = 'sf_id';
export const IDENTITY_COOKIE = 'storeflow_id';
export const IDENTITY_MAX_AGE = 30 * 24 * 3600; // as long as the token counts
// The checkout webhook may reach Storeflow after the pixel's event: say it once more later.
export const IDENTIFY_AGAIN_MS = 30000;

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

// Our identity token in the landing page's address (a click on our email), or null.
export function tokenFromLanding(init) {
  const location = init && init.context && init.context.document && init.context.document.location;
  if (!location || !location.href) return null;
  try {
    return new URL(location.href).searchParams.get(IDENTITY_PARAM) || null;
  } catch {
    return null;
  }
}

export function createPixel(api, options = {}) {
  const {analytics, init, customerPrivacy, settings, browser} = api;
  const send = options.fetch || ((url, request) => fetch(url, request));
  const schedule = options.setTimeout || setTimeout;
  const flushMs = options.flushMs ?? FLUSH_MS;
  let privacy = (init && init.customerPrivacy) || {};
  const landingToken = tokenFromLanding(init);
  let customer = null;
  let visitor = null;
  let queue = [];
  let timer = null;

  function setCookie(value, maxAge) {
    if (!browser || !browser.cookie) return null;
    return browser.cookie.set(
      `${IDENTITY_COOKIE}=${value}; path=/; max-age=${maxAge}; SameSite=Lax; Secure`,
    );
  }

  // The email link's token is kept (and sent) only while the visitor allows tracking.
  function keepLandingToken() {
    if (!landingToken || !trackingAllowed(privacy)) return;
    if (!customer || customer.token) customer = {token: landingToken};
    setCookie(landingToken, IDENTITY_MAX_AGE);
  }

  function forgetIdentity() {
    customer = null;
    setCookie('', 0);
  }

  // Who they are: this landing's token, else the one an earlier page kept (read only with
  // consent, so a visitor who has not allowed tracking is not recognised either).
  function recall() {
    if (landingToken) return keepLandingToken();
    if (customer || !trackingAllowed(privacy) || !browser || !browser.cookie) return null;
    return Promise.resolve(browser.cookie.get(IDENTITY_COOKIE)).then((token) => {
      if (token && !customer && trackingAllowed(privacy)) customer = {token: String(token)};
    });
  }
  recall();

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
      if (trackingAllowed(privacy)) {
        recall();
      } else {
        queue = []; // withdrawn: what waits is not sent, and who they are is forgotten
        forgetIdentity();
      }
    });
  }

  for (const name of SUBSCRIBED) {
    analytics.subscribe(name, (event) => {
      if (!trackingAllowed(privacy)) return;
      visitor = event.clientId || visitor;
      if (name === 'checkout_contact_info_submitted') {
        const token = event.data && event.data.checkout && event.data.checkout.token;
        if (token) {
          // Stronger than a forwarded email link: the shopper typed their own contact.
          customer = {checkout: String(token)};
          flush(true);
          schedule(() => flush(true), IDENTIFY_AGAIN_MS);
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
