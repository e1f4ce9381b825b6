/**
 * Storeflow dashboard: hand the framed service page a fresh sign-in token when it asks.
 *
 * The service keeps no session cookie (browsers block them in third-party iframes); its page
 * sends the token with every request and, before the five-minute token runs out, asks this
 * page for a new one with postMessage. Only the Storeflow frame, from the service's origin,
 * is answered, and only to that origin.
 */
( function () {
	'use strict';
	var config = window.storeflowEmbedded;
	var frame = document.getElementById( 'storeflow-frame' );
	if ( ! config || ! frame ) {
		return;
	}
	window.addEventListener( 'message', function ( event ) {
		if ( event.origin !== config.origin || event.source !== frame.contentWindow ) {
			return;
		}
		if ( ! event.data || event.data.storeflow !== 'token-request' ) {
			return;
		}
		var body = new FormData();
		body.append( 'action', config.action );
		body.append( 'security', config.nonce );
		fetch( config.url, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( response ) {
				return response.json();
			} )
			.then( function ( answer ) {
				if ( answer && answer.success && answer.data && answer.data.token ) {
					frame.contentWindow.postMessage( { storeflow: 'token', token: answer.data.token }, config.origin );
				}
			} )
			.catch( function () {} );
	} );
} )();
