/** A benchmark of the decision path: uncached Cedar, L1 and L2 hits (plaintext and encrypted), signing. */
package dev.keyline.iam.bench;
