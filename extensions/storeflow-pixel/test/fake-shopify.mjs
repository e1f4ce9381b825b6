// A fake of the Web Pixels Standard API (analytics, init, customerPrivacy, settings) that
// records what the pixel subscribes to and lets a test publish documented events to it.
import {readFileSync} from 'node:fs';

export const FIXTURES = JSON.parse(
  readFileSync(new URL('./fixtures/events.json', import.meta.url), 'utf8'),
);

export function fakeShopify({
  privacy = FIXTURES.init.customerPrivacy,
  customer,
  landing = FIXTURES.init.context.document.location.href,
  cookies = {},
} = {}) {
  const handlers = {};
  // The top frame's cookies as browser.cookie sees them: name -> value (attributes dropped).
  const jar = {...cookies};
  const consentHandlers = [];
  const sent = [];
  const timers = [];
  const data = {...FIXTURES.init.data};
  if (customer === null) delete data.customer;
  const api = {
    analytics: {
      subscribe(name, handler) {
        (handlers[name] ||= []).push(handler);
      },
    },
    customerPrivacy: {
      subscribe(name, handler) {
        if (name === 'visitorConsentCollected') consentHandlers.push(handler);
      },
    },
    init: {
      customerPrivacy: privacy,
      data,
      context: {document: {location: {...FIXTURES.init.context.document.location, href: landing}}},
    },
    browser: {
      cookie: {
        get: (name) => Promise.resolve(jar[name] ?? ''),
        set: (cookie) => {
          const [pair, ...attributes] = cookie.split(';').map((part) => part.trim());
          const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
          if (attributes.includes('max-age=0')) delete jar[name];
          else jar[name] = value;
          return Promise.resolve(cookie);
        },
      },
    },
    settings: {
      endpoint: 'https://storeflow.test/collect/shopify',
      shop: 'sklep-ola.myshopify.com',
      collectKey: 'public-collect-key',
    },
  };
  const options = {
    fetch: (url, request) => {
      sent.push({url, request, body: JSON.parse(request.body)});
      return Promise.resolve({status: 204});
    },
    setTimeout: (fn) => timers.push(fn),
  };
  return {
    api,
    options,
    sent,
    handlers,
    jar,
    publish(name, overrides = {}) {
      const event = {...FIXTURES[name], ...overrides};
      for (const handler of handlers[name] || []) handler(event);
    },
    consent(customerPrivacy) {
      for (const handler of consentHandlers) handler({customerPrivacy});
    },
    runTimers() {
      while (timers.length) timers.shift()();
    },
  };
}
