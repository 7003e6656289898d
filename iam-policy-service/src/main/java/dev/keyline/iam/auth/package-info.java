/** Who may call the IAM policy service: bearer access tokens of the Keyline token service, checked against its JWKS. */
package dev.keyline.iam.auth;
