package io.breakwater.grpc;

import io.grpc.Metadata;

/**
 * What a unary call answered: the command's result. A fallback's reply has no headers and empty
 * trailers.
 */
record UnaryReply<RespT>(Metadata headers, RespT message, Metadata trailers) {}
