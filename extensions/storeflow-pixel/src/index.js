// Entry point Shopify bundles; all behaviour lives in pixel.js so Node can test it.
import {register} from '@shopify/web-pixels-extension';

import {createPixel} from './pixel.js';

register((api) => {
  createPixel(api);
});
