/** The Keyline IAM policy service. */
package dev.keyline.iam;
