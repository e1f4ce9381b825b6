/**
 * Storeflow: tell the shop's Storeflow service that this product was viewed, for
 * browse-abandonment emails. One beacon per page view; never blocks or changes the page.
 *
 * With the WP Consent API present (a consent plugin), nothing is sent and no cookie is set
 * until the visitor allows the "marketing" category; consent given later sends the view then.
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

	function visitorId() {
		var match = document.cookie.match( new RegExp( '(?:^|; )' + config.cookie + '=([^;]+)' ) );
		if ( match ) {
			return decodeURIComponent( match[ 1 ] );
		}
		var id = randomId();
		document.cookie = config.cookie + '=' + encodeURIComponent( id ) + '; path=/; max-age=31536000; SameSite=Lax' +
			( window.location.protocol === 'https:' ? '; Secure' : '' );
		return id;
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
		if ( config.customer ) {
			body.customer = config.customer;
		}
		// text/plain: a simple cross-origin request, no preflight; the collector reads it as JSON.
		navigator.sendBeacon( config.endpoint, new Blob( [ JSON.stringify( body ) ], { type: 'text/plain' } ) );
	}

	document.addEventListener( 'wp_listen_for_consent_change', function ( event ) {
		var changed = ( event && event.detail ) || {};
		if ( changed[ config.consentCategory ] === 'allow' ) {
			send();
		}
	} );
	send();
} )();
