/**
 * Storeflow: tell the shop's Storeflow service that this product was viewed, for
 * browse-abandonment emails. One beacon per page view; never blocks or changes the page.
 *
 * With the WP Consent API present (a consent plugin), nothing is sent and no cookie is set
 * until the visitor allows the "marketing" category; consent given later sends the view then,
 * and consent withdrawn forgets who the visitor is (the identity cookie goes).
 *
 * Who the visitor is: the signed-in shopper (signed by the plugin on the server), or else
 * Storeflow's identity token from a click on its email (the landing URL's sf_id), kept in a
 * first-party cookie. Storeflow believes nothing else a page says about who is browsing.
 */
( function () {
	'use strict';
	var config = window.storeflowViews;
	if ( ! config || ! navigator.sendBeacon ) {
		return;
	}
	var sent = false;

	function allowed() {
		return typeof window.wp_has_consent !== 'function' || window.wp_has_consent( config.consentCategory );
	}

	function randomId() {
		if ( window.crypto && window.crypto.randomUUID ) {
			return window.crypto.randomUUID();
		}
		var bytes = new Uint8Array( 16 );
		window.crypto.getRandomValues( bytes );
		return Array.prototype.map.call( bytes, function ( b ) {
			return ( '0' + b.toString( 16 ) ).slice( -2 );
		} ).join( '' );
	}

	function readCookie( name ) {
		var match = document.cookie.match( new RegExp( '(?:^|; )' + name + '=([^;]+)' ) );
		return match ? decodeURIComponent( match[ 1 ] ) : null;
	}

	function writeCookie( name, value, maxAge ) {
		document.cookie = name + '=' + encodeURIComponent( value ) + '; path=/; max-age=' + maxAge + '; SameSite=Lax' +
			( window.location.protocol === 'https:' ? '; Secure' : '' );
	}

	function visitorId() {
		var known = readCookie( config.cookie );
		if ( known ) {
			return known;
		}
		var id = randomId();
		writeCookie( config.cookie, id, 31536000 );
		return id;
	}

	// Called only once tracking is allowed: the token is kept only then.
	function identity() {
		if ( config.customer ) {
			return config.customer;
		}
		if ( ! config.identityCookie ) {
			return null;
		}
		var search = ( window.location && window.location.search ) || '';
		var landing = search.match( new RegExp( '[?&]' + config.identityParam + '=([^&#]+)' ) );
		var token = landing ? decodeURIComponent( landing[ 1 ] ) : readCookie( config.identityCookie );
		if ( landing ) {
			writeCookie( config.identityCookie, token, config.identityMaxAge );
		}
		return token ? { token: token } : null;
	}

	function send() {
		if ( sent || ! allowed() ) {
			return;
		}
		sent = true;
		var body = {
			shop: config.shop,
			key: config.key,
			visitor: visitorId(),
			events: [ { type: 'product_viewed', product_id: config.productId, at: new Date().toISOString() } ]
		};
		var customer = identity();
		if ( customer ) {
			body.customer = customer;
		}
		// text/plain: a simple cross-origin request, no preflight; the collector reads it as JSON.
		navigator.sendBeacon( config.endpoint, new Blob( [ JSON.stringify( body ) ], { type: 'text/plain' } ) );
	}

	document.addEventListener( 'wp_listen_for_consent_change', function ( event ) {
		var changed = ( event && event.detail ) || {};
		if ( changed[ config.consentCategory ] === 'allow' ) {
			send();
		} else if ( changed[ config.consentCategory ] === 'deny' && config.identityCookie ) {
			writeCookie( config.identityCookie, '', 0 );
		}
	} );
	send();
} )();
