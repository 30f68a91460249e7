/** Small measuring types that depend on nothing: recent samples and their quantiles. */
package dev.platemate.gateway.measure;
