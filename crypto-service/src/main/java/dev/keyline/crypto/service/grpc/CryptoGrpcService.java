package dev.keyline.crypto.service.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.access.Caller;
import dev.keyline.crypto.service.audit.AuditEvent;
import dev.keyline.crypto.service.audit.AuditLog;
import dev.keyline.crypto.service.keys.KeyOperations;
import dev.keyline.crypto.service.keys.KeyRegistry;
import dev.keyline.crypto.service.keys.KeyRing;
import dev.keyline.crypto.service.keys.Operation;
import dev.keyline.crypto.v1.BatchDecryptItem;
import dev.keyline.crypto.v1.BatchDecryptRequest;
import dev.keyline.crypto.v1.BatchDecryptResponse;
import dev.keyline.crypto.v1.BatchEncryptItem;
import dev.keyline.crypto.v1.BatchEncryptRequest;
import dev.keyline.crypto.v1.BatchEncryptResponse;
import dev.keyline.crypto.v1.BatchSignItem;
import dev.keyline.crypto.v1.BatchSignRequest;
import dev.keyline.crypto.v1.BatchSignResponse;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.DecryptResponse;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyRequest;
import dev.keyline.crypto.v1.GenerateDataKeyResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.GetPublicKeyRequest;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.ListKeysRequest;
import dev.keyline.crypto.v1.ListKeysResponse;
import dev.keyline.crypto.v1.PublicKey;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SetKeyStateRequest;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import dev.keyline.crypto.v1.VerifyRequest;
import dev.keyline.crypto.v1.VerifyResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC face of the crypto service. Each RPC checks the caller's grant for the key's
 * namespace, runs the operation, and goes through {@link #unary}: one audit line, one metric
 * sample and, on failure, one status built by {@link GrpcErrors}. A batch call's one line also
 * lists what its items did, grouped by key version, outcome and reason (see {@link #item}), since
 * each item may use another key and fail on its own.
 */
public final class CryptoGrpcService extends CryptoServiceGrpc.CryptoServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(CryptoGrpcService.class);

    private final KeyOperations ops;
    private final KeyRegistry keys;
    private final AuditLog audit;
    private final ServiceMetrics metrics;
    private final InstantSource clock;
    private final int maxBatchItems;

    /**
     * The start of every AAD that crypto-client's envelope encryption wraps data keys with
     * ({@code "keyline-envelope-v1\0" + context}; the version digit left open for later formats).
     * An envelope is trusted because its data key unwraps under a service key with that AAD, so
     * whoever can wrap a key of their choosing under it can forge envelopes another service
     * accepts. Encrypt and BatchEncrypt (caller-chosen plaintext) therefore refuse it. The envelope
     * itself only calls GenerateDataKey (the service draws the key) and Decrypt (to unwrap):
     * GenerateDataKey keeps accepting it, so the {@code data-key} grant on a namespace is what
     * entitles a caller to make envelopes under that namespace's keys (give it only to the services
     * that own those envelopes); Decrypt of a wrapped key needs the {@code decrypt} grant.
     */
    static final ByteString RESERVED_AAD_PREFIX = ByteString.copyFromUtf8("keyline-envelope-");

    public CryptoGrpcService(KeyOperations ops, AuditLog audit, ServiceMetrics metrics, InstantSource clock, int maxBatchItems) {
        this.ops = ops;
        this.keys = ops.registry();
        this.audit = audit;
        this.metrics = metrics;
        this.clock = clock;
        this.maxBatchItems = maxBatchItems;
    }

    /** What one call did, for the audit line. */
    private static final class Call {
        final Caller caller;
        /** The key the call names, then the concrete version it used; null before either is known. */
        KeyId keyId;
        /** Batch calls: item outcomes by key version, outcome and reason, in order of first appearance. */
        private java.util.LinkedHashMap<ItemKey, int[]> items;
        /** Batch calls: the last tally counted into, for runs of items with the same outcome. */
        private ItemKey lastItem;
        private int[] lastCount;
        /** The batch an item belongs to (null for a call of its own), which remembers the last check. */
        private final Call batch;
        /** Batch calls: the last key id an item named, what it maps to, and the operation checked for it. */
        private dev.keyline.crypto.v1.KeyId lastProto;
        private KeyId lastId;
        private Operation lastOp;

        Call(Caller caller) {
            this(caller, null);
        }

        Call(Caller caller, Call batch) {
            this.caller = caller;
            this.batch = batch;
        }

        /**
         * Maps and checks the key id a request names. Items of a batch that name the same key as
         * the item before, for the same operation, reuse that item's check: a batch is one
         * request by one caller, and the check is the same.
         */
        KeyId authorize(dev.keyline.crypto.v1.KeyId proto, Operation op) {
            Call memo = batch != null ? batch : this;
            if (memo.lastOp == op && sameKeyId(memo.lastProto, proto)) {
                keyId = memo.lastId;
                return memo.lastId;
            }
            KeyId id = ProtoMapping.keyId(proto);
            keyId = id;
            caller.require(op, id.namespace());
            memo.lastProto = proto;
            memo.lastId = id;
            memo.lastOp = op;
            return id;
        }

        private static boolean sameKeyId(dev.keyline.crypto.v1.KeyId a, dev.keyline.crypto.v1.KeyId b) {
            return a != null && (a == b || (a.getVersion() == b.getVersion() && a.getNamespace().equals(b.getNamespace())
                    && a.getId().equals(b.getId())));
        }

        void used(KeyId concrete) {
            keyId = concrete;
        }

        /** The key id as the audit line names it; rendered once per call, not per item. */
        String auditKeyId() {
            return keyId == null ? "" : keyId.toString();
        }

        void countItem(KeyId itemKeyId, String outcome, String reason) {
            if (lastItem != null && lastItem.keyId == itemKeyId && lastItem.outcome.equals(outcome) && lastItem.reason.equals(reason)) {
                lastCount[0]++;
                return;
            }
            if (items == null) {
                items = new java.util.LinkedHashMap<>();
            }
            lastItem = new ItemKey(itemKeyId, outcome, reason);
            lastCount = items.computeIfAbsent(lastItem, k -> new int[1]);
            lastCount[0]++;
        }

        List<AuditEvent.Item> items() {
            if (items == null) {
                return List.of();
            }
            List<AuditEvent.Item> out = new java.util.ArrayList<>(items.size());
            items.forEach((k, n) -> out.add(new AuditEvent.Item(k.keyId == null ? "" : k.keyId.toString(), k.outcome, k.reason, n[0])));
            return out;
        }

        /** Written out rather than a record: record equality goes through method-handle guards. */
        private static final class ItemKey {
            final KeyId keyId;
            final String outcome;
            final String reason;

            ItemKey(KeyId keyId, String outcome, String reason) {
                this.keyId = keyId;
                this.outcome = outcome;
                this.reason = reason;
            }

            @Override
            public boolean equals(Object o) {
                return o instanceof ItemKey k && java.util.Objects.equals(keyId, k.keyId) && outcome.equals(k.outcome)
                        && reason.equals(k.reason);
            }

            @Override
            public int hashCode() {
                return (java.util.Objects.hashCode(keyId) * 31 + outcome.hashCode()) * 31 + reason.hashCode();
            }
        }
    }

    /**
     * Runs one call. The audit line and the metric sample are recorded before the response is
     * sent, so once a caller has its answer the operation is in /metrics and queued for the audit
     * log ({@code AuditLog.flush} then finds it).
     */
    private <T> void unary(String operation, StreamObserver<T> out, Function<Call, T> body) {
        long start = System.nanoTime();
        InboundContext rc = InboundContext.current();
        Call call = new Call(CallInterceptors.CALLER.get());
        String outcome = "error";
        String reason = Reason.INTERNAL.name();
        T result = null;
        StatusRuntimeException failure = null;
        try {
            result = body.apply(call);
            outcome = "ok";
            reason = "";
        } catch (CryptoException e) {
            reason = e.reason().name();
            failure = GrpcErrors.toStatus(e, rc.correlationId());
        } catch (RuntimeException e) {
            // GrpcErrors logs it with the correlation id; the caller gets a generic message.
            failure = GrpcErrors.toStatus(new CryptoException(Reason.INTERNAL, "unexpected error in " + operation, e), rc.correlationId());
        } finally {
            long nanos = System.nanoTime() - start;
            metrics.record(operation, outcome, reason, nanos);
            audit.record(new AuditEvent(clock.instant(), call.caller == null ? "" : call.caller.name(), operation, call.auditKeyId(),
                    outcome, reason, rc.correlationId(), rc.traceId(), nanos / 1000, call.items(), "", rc.tracestate()));
        }
        if (failure != null) {
            out.onError(failure);
        } else {
            out.onNext(result);
            out.onCompleted();
        }
    }

    /** Audits and counts a call that {@link CallInterceptors} ended before it reached this service. */
    void rejected(String operation, CryptoException e, InboundContext rc, long nanos) {
        metrics.record(operation, "error", e.reason().name(), nanos);
        audit.record(new AuditEvent(clock.instant(), "", operation, "", "error", e.reason().name(), rc.correlationId(), rc.traceId(),
                nanos / 1000, java.util.List.of(), "", rc.tracestate()));
    }

    /**
     * Runs one item of a batch and counts its key version and outcome into the batch's audit line:
     * a batch may touch many keys and fail some items, and the audit log must name every key used
     * and every outcome, not only the batch's. One line per batch (not per item) keeps the audit
     * writer from bounding batch throughput.
     */
    private <T> T item(Call batch, Function<Call, T> body) {
        Call call = new Call(batch.caller, batch);
        try {
            T result = body.apply(call);
            batch.countItem(call.keyId, "ok", "");
            return result;
        } catch (CryptoException e) {
            batch.countItem(call.keyId, "error", e.reason().name());
            throw e;
        } catch (RuntimeException e) {
            batch.countItem(call.keyId, "error", Reason.INTERNAL.name());
            throw e;
        }
    }

    @Override
    public void encrypt(EncryptRequest req, StreamObserver<EncryptResponse> out) {
        unary("Encrypt", out, c -> doEncrypt(c, req, ops.ivsFor(1)));
    }

    /** {@code ivs}: the request's IVs, drawn at once ({@link KeyOperations#ivsFor}). */
    private EncryptResponse doEncrypt(Call c, EncryptRequest req, java.security.SecureRandom ivs) {
        KeyId id = c.authorize(req.getKeyId(), Operation.ENCRYPT);
        if (req.getAad().startsWith(RESERVED_AAD_PREFIX)) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "aad starts with \"keyline-envelope-\", which is reserved for data keys"
                    + " wrapped by GenerateDataKey (envelope encryption); Encrypt may not use it");
        }
        ByteView plaintext = ByteView.of(req.getPlaintext());
        byte[] aad = req.getAad().toByteArray();
        KeyOperations.Encrypted e = ops.encrypt(id, plaintext.array(), plaintext.offset(), plaintext.length(), aad, ivs);
        c.used(e.keyId());
        return ProtoMapping.encrypted(e);
    }

    @Override
    public void decrypt(DecryptRequest req, StreamObserver<DecryptResponse> out) {
        unary("Decrypt", out, c -> doDecrypt(c, req));
    }

    private DecryptResponse doDecrypt(Call c, DecryptRequest req) {
        KeyId id = c.authorize(req.getKeyId(), Operation.DECRYPT);
        ByteView sealed = ByteView.of(req.getCiphertext());
        AeadCiphertext ct = AeadCiphertext.of(sealed.array(), sealed.offset(), sealed.length(), req.getIv().toByteArray(),
                req.getTag().toByteArray());
        byte[] pt = ops.decrypt(id, ct, req.getAad().toByteArray());
        return DecryptResponse.newBuilder().setPlaintext(UnsafeByteOperations.unsafeWrap(pt)).build();
    }

    @Override
    public void sign(SignRequest req, StreamObserver<SignResponse> out) {
        unary("Sign", out, c -> doSign(c, req));
    }

    private SignResponse doSign(Call c, SignRequest req) {
        KeyId id = c.authorize(req.getKeyId(), Operation.SIGN);
        KeyOperations.Signed s = ops.sign(id, req.getData().toByteArray());
        c.used(s.keyId());
        return SignResponse.newBuilder().setSignature(UnsafeByteOperations.unsafeWrap(s.signature())).setKeyId(ProtoMapping.keyId(s.keyId()))
                .setAlgorithm(ProtoMapping.algorithm(s.algorithm())).build();
    }

    @Override
    public void verify(VerifyRequest req, StreamObserver<VerifyResponse> out) {
        unary("Verify", out, c -> {
            KeyId id = c.authorize(req.getKeyId(), Operation.VERIFY);
            boolean valid = ops.verify(id, req.getData().toByteArray(), req.getSignature().toByteArray());
            return VerifyResponse.newBuilder().setValid(valid).build();
        });
    }

    @Override
    public void generateKey(GenerateKeyRequest req, StreamObserver<KeyMetadata> out) {
        unary("GenerateKey", out, c -> {
            KeyId id = c.authorize(dev.keyline.crypto.v1.KeyId.newBuilder().setNamespace(req.getNamespace()).setId(req.getId()).build(),
                    Operation.MANAGE);
            KeyRing ring = keys.create(id, ProtoMapping.algorithm(req.getAlgorithm()),
                    req.hasRotationPeriod() ? ProtoMapping.duration(req.getRotationPeriod()) : java.time.Duration.ZERO);
            c.used(ring.primaryId());
            return ProtoMapping.metadata(ring);
        });
    }

    @Override
    public void rotateKey(RotateKeyRequest req, StreamObserver<KeyMetadata> out) {
        unary("RotateKey", out, c -> {
            KeyId id = c.authorize(req.getKeyId(), Operation.MANAGE);
            KeyRing ring = keys.rotate(id);
            c.used(ring.primaryId());
            return ProtoMapping.metadata(ring);
        });
    }

    @Override
    public void getKeyMetadata(GetKeyMetadataRequest req, StreamObserver<KeyMetadata> out) {
        unary("GetKeyMetadata", out, c -> ProtoMapping.metadata(keys.metadata(c.authorize(req.getKeyId(), Operation.READ))));
    }

    @Override
    public void listKeys(ListKeysRequest req, StreamObserver<ListKeysResponse> out) {
        unary("ListKeys", out, c -> {
            ListKeysResponse.Builder b = ListKeysResponse.newBuilder();
            for (KeyRing ring : keys.list(req.getNamespace())) {
                // Listing shows only what the caller could read one by one.
                if (c.caller.may(Operation.READ, ring.name().namespace())) {
                    b.addKeys(ProtoMapping.metadata(ring));
                }
            }
            return b.build();
        });
    }

    @Override
    public void getPublicKey(GetPublicKeyRequest req, StreamObserver<PublicKey> out) {
        unary("GetPublicKey", out, c -> {
            KeyId id = ProtoMapping.keyId(req.getKeyId());
            c.keyId = id;
            if (!c.caller.may(Operation.READ, id.namespace()) && !c.caller.may(Operation.VERIFY, id.namespace())
                    && !c.caller.may(Operation.SIGN, id.namespace())) {
                c.caller.require(Operation.READ, id.namespace());
            }
            KeyOperations.Public p = ops.publicKey(id);
            c.used(p.keyId());
            return PublicKey.newBuilder().setKeyId(ProtoMapping.keyId(p.keyId())).setAlgorithm(ProtoMapping.algorithm(p.algorithm()))
                    .setPem(p.key().pem()).setJwkJson(p.key().jwkJson(p.keyId().toString())).build();
        });
    }

    @Override
    public void setKeyState(SetKeyStateRequest req, StreamObserver<KeyMetadata> out) {
        unary("SetKeyState", out, c -> {
            KeyId id = c.authorize(req.getKeyId(), Operation.MANAGE);
            return ProtoMapping.metadata(keys.setState(id, ProtoMapping.state(req.getState())));
        });
    }

    @Override
    public void setMinDecryptionVersion(dev.keyline.crypto.v1.SetMinDecryptionVersionRequest req, StreamObserver<KeyMetadata> out) {
        unary("SetMinDecryptionVersion", out, c -> {
            KeyId id = c.authorize(req.getKeyId(), Operation.MANAGE);
            long min = Integer.toUnsignedLong(req.getMinDecryptionVersion());
            if (id.version() != 0 || min > Integer.MAX_VALUE) {
                throw new CryptoException(Reason.INVALID_ARGUMENT, "name the key without a version and a min_decryption_version of at most"
                        + " its primary version");
            }
            return ProtoMapping.metadata(keys.setMinDecryptionVersion(id, (int) min));
        });
    }

    @Override
    public void generateDataKey(GenerateDataKeyRequest req, StreamObserver<GenerateDataKeyResponse> out) {
        unary("GenerateDataKey", out, c -> {
            KeyId id = c.authorize(req.getKeyId(), Operation.DATA_KEY);
            KeyOperations.DataKey dk = ops.generateDataKey(id, req.getAad().toByteArray());
            c.used(dk.wrapped().keyId());
            byte[] plain = dk.plaintext().toByteArray();
            try {
                return GenerateDataKeyResponse.newBuilder().setPlaintextKey(ByteString.copyFrom(plain))
                        .setWrappedKey(ProtoMapping.encrypted(dk.wrapped())).build();
            } finally {
                java.util.Arrays.fill(plain, (byte) 0);
                dk.plaintext().destroy();
            }
        });
    }

    @Override
    public void batchEncrypt(BatchEncryptRequest req, StreamObserver<BatchEncryptResponse> out) {
        unary("BatchEncrypt", out, c -> {
            checkBatch(req.getItemsCount());
            BatchEncryptResponse.Builder b = BatchEncryptResponse.newBuilder();
            java.security.SecureRandom ivs = ops.ivsFor(req.getItemsCount());
            for (EncryptRequest item : req.getItemsList()) {
                try {
                    var result = item(c, ic -> doEncrypt(ic, item, ivs));
                    b.addItems(BatchEncryptItem.newBuilder().setStatus(GrpcErrors.ok()).setResult(result));
                } catch (CryptoException e) {
                    b.addItems(BatchEncryptItem.newBuilder().setStatus(GrpcErrors.itemStatus(e, InboundContext.current().correlationId())));
                }
            }
            return b.build();
        });
    }

    @Override
    public void batchDecrypt(BatchDecryptRequest req, StreamObserver<BatchDecryptResponse> out) {
        unary("BatchDecrypt", out, c -> {
            checkBatch(req.getItemsCount());
            BatchDecryptResponse.Builder b = BatchDecryptResponse.newBuilder();
            for (DecryptRequest item : req.getItemsList()) {
                try {
                    var result = item(c, ic -> doDecrypt(ic, item));
                    b.addItems(BatchDecryptItem.newBuilder().setStatus(GrpcErrors.ok()).setResult(result));
                } catch (CryptoException e) {
                    b.addItems(BatchDecryptItem.newBuilder().setStatus(GrpcErrors.itemStatus(e, InboundContext.current().correlationId())));
                }
            }
            return b.build();
        });
    }

    @Override
    public void batchSign(BatchSignRequest req, StreamObserver<BatchSignResponse> out) {
        unary("BatchSign", out, c -> {
            checkBatch(req.getItemsCount());
            BatchSignResponse.Builder b = BatchSignResponse.newBuilder();
            for (SignRequest item : req.getItemsList()) {
                try {
                    var result = item(c, ic -> doSign(ic, item));
                    b.addItems(BatchSignItem.newBuilder().setStatus(GrpcErrors.ok()).setResult(result));
                } catch (CryptoException e) {
                    b.addItems(BatchSignItem.newBuilder().setStatus(GrpcErrors.itemStatus(e, InboundContext.current().correlationId())));
                }
            }
            return b.build();
        });
    }

    private void checkBatch(int n) {
        if (n == 0) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "a batch needs at least one item");
        }
        if (n > maxBatchItems) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "a batch holds at most " + maxBatchItems + " items, got " + n);
        }
    }
}
