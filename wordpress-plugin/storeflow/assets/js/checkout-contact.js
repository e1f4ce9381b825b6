/**
 * Storeflow: send the classic checkout's contact fields to the shop as the shopper types them,
 * so a cart abandoned at checkout can still be recovered. Fire-and-forget; never blocks the page.
 */
( function () {
	'use strict';
	var config = window.storeflowContact;
	var form = document.querySelector( 'form.checkout' );
	if ( ! config || ! form ) {
		return;
	}
	var fields = config.fields; // { email: 'billing_email', ... } from CheckoutContact::CLASSIC_FIELDS
	var watched = Object.keys( fields ).map( function ( key ) {
		return fields[ key ];
	} ).concat( [ config.consentField ] );
	var lastSent = '';
	var timer = null;

	function valueOf( id ) {
		var element = document.getElementById( id );
		return element ? element.value.trim() : '';
	}

	function send() {
		var data = new FormData();
		Object.keys( fields ).forEach( function ( key ) {
			data.append( key, valueOf( fields[ key ] ) );
		} );
		var consent = document.getElementById( config.consentField );
		data.append( 'consent', consent && consent.checked ? '1' : '0' );
		if ( ! data.get( 'email' ) && ! data.get( 'phone' ) ) {
			return; // Nothing to reach the shopper with yet.
		}
		var snapshot = new URLSearchParams( data ).toString();
		if ( snapshot === lastSent ) {
			return;
		}
		lastSent = snapshot;
		data.append( 'security', config.nonce );
		if ( navigator.sendBeacon && navigator.sendBeacon( config.url, data ) ) {
			return;
		}
		window.fetch( config.url, { method: 'POST', body: data, credentials: 'same-origin', keepalive: true } )
			.catch( function () {} );
	}

	function onChange( event ) {
		if ( event.target && watched.indexOf( event.target.id ) !== -1 ) {
			window.clearTimeout( timer );
			timer = window.setTimeout( send, 500 );
		}
	}

	form.addEventListener( 'change', onChange );
	form.addEventListener( 'focusout', onChange );
	// The shopper may leave right after typing: flush what we have.
	window.addEventListener( 'pagehide', send );
} )();
