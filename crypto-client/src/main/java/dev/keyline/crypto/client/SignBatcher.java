package dev.keyline.crypto.client;

import com.google.protobuf.UnsafeByteOperations;
import com.google.rpc.Code;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.BatchSignItem;
import dev.keyline.crypto.v1.BatchSignRequest;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Micro-batching of sign calls ({@link CryptoClientConfig.Builder#signBatching}), per key id (the
 * same version, 0 included):
 * <ul>
 *   <li>a call that finds no sign RPC of its key in flight and no batch open is sent at once as a
 *       plain Sign RPC, in its own thread — at low load batching adds nothing; so is a call whose
 *       data is over {@value #ALONE_ABOVE_BYTES} bytes;</li>
 *   <li>otherwise it joins the key's open batch (opening one if there is none). A batch is sent as
 *       one BatchSign RPC when it holds {@code maxItems} calls — by the call that filled it, at
 *       once, as is a batch whose data reached {@value #MAX_BATCH_DATA_BYTES} bytes — or {@code linger} after its first call joined — by that call, its leader — so no
 *       call waits longer than the linger for its batch to leave.</li>
 * </ul>
 * A BatchSign RPC runs on a virtual thread of its own, so that one caller's interruption cannot
 * cancel the others' signatures.
 *
 * <p>Division of work with {@link GrpcCryptoClient#sign}, which calls this in place of the Sign
 * RPC: each caller still takes its own rate-limiter permit (the limiter counts sign calls, not
 * RPCs), checks the key's state on the cached metadata, validates its own answer (a response
 * naming another key, version or algorithm is that caller's {@code ALGORITHM_MISMATCH}), falls
 * back on its own, and records its own metric sample and log line. A BatchSign RPC goes through
 * the retry policy and the circuit breaker once, like any single call. When it fails — after its
 * retries, or not sent because the circuit is open — every caller in it fails with that same
 * classification ({@code CRYPTO_SERVICE_UNAVAILABLE} for a transient failure, so each caller's
 * fallback applies). An item the service refused fails only its own caller, with the item's
 * reason ({@link Errors#fromItemStatus}); such an item is not retried and does not count against
 * the breaker, since the RPC itself succeeded.
 *
 * <p>A BatchSign RPC carries a correlation id of its own, under which the service audits every
 * item; a caller's exception keeps the caller's correlation id and names the batch's in its
 * message, and DEBUG logging lists the caller ids of every batch.
 */
final class SignBatcher {
    private static final Logger LOG = LoggerFactory.getLogger(SignBatcher.class);

    /** The two RPCs, each through the client's retries and breaker. */
    interface Transport {
        /** One Sign RPC for {@code call}. */
        SignResponse sign(Call call, SignRequest request);

        /** One BatchSign RPC for {@code batchCall}; its items in request order. */
        List<BatchSignItem> batchSign(Call batchCall, BatchSignRequest request);
    }

    /** Data larger than this is signed alone: batching gains nothing on it and it would crowd a batch. */
    static final int ALONE_ABOVE_BYTES = 64 * 1024;
    /**
     * A batch leaves once its data reaches this, so that many concurrent large items never add up
     * to a message over the service's inbound limit (2 x its payload limit, 1 MiB by default).
     */
    static final int MAX_BATCH_DATA_BYTES = 512 * 1024;

    private final int maxItems;
    private final long lingerNanos;
    private final Transport transport;
    private final ClientMetrics metrics;
    /** Per key id while it has RPCs in flight or a batch open; removed when idle, so the map stays small. */
    private final ConcurrentHashMap<KeyId, Lane> lanes = new ConcurrentHashMap<>();

    SignBatcher(int maxItems, Duration linger, Transport transport, ClientMetrics metrics) {
        if (maxItems < 1 || linger.isNegative() || linger.isZero()) {
            throw new IllegalArgumentException("a sign batcher needs at least one item and a positive linger");
        }
        this.maxItems = maxItems;
        this.lingerNanos = linger.toNanos();
        this.transport = transport;
        this.metrics = metrics;
    }

    /** One key id's state. Read and changed only inside {@code lanes.compute} for that key, which orders every access. */
    private static final class Lane {
        /** Sign and BatchSign RPCs of this key under way. */
        int inFlight;
        /** The batch calls join now; null when none is open. */
        Batch open;
    }

    /** One caller's part of a batch: its request, and where its answer goes. */
    private static final class Item {
        final SignRequest request;
        final String correlationId;
        final CompletableFuture<SignResponse> answer = new CompletableFuture<>();

        Item(SignRequest request, String correlationId) {
            this.request = request;
            this.correlationId = correlationId;
        }
    }

    /** The calls gathered for one key. {@code items} grows only while the batch is open (see {@link Lane}). */
    private static final class Batch {
        final KeyId keyId;
        final List<Item> items;
        final String correlationId = RequestContext.newCorrelation().correlationId();
        /** Data bytes of the items; changed only inside {@code lanes.compute}, like {@code items}. */
        long bytes;
        /** Attempts of the batch RPC, set before any answer is completed. */
        volatile int attempts;

        Batch(KeyId keyId, int capacity) {
            this.keyId = keyId;
            this.items = new ArrayList<>(Math.min(capacity, 64));
        }
    }

    /** What a call does after arriving: go alone, lead a batch, send the batch it filled, or just wait for its batch. */
    private enum Role { ALONE, LEADER, FILLER, MEMBER }

    private record Arrival(Role role, Batch batch) { }

    /**
     * Signs {@code data} with {@code keyId}, alone or as part of a batch, and blocks until answered.
     * Returns the service's answer, not yet validated; throws the RPC's failure or this item's.
     * Sets {@code call.attempts} to the attempts of the RPC that carried the call.
     */
    SignResponse sign(Call call, KeyId keyId, byte[] data) {
        SignRequest request = SignRequest.newBuilder().setKeyId(Protos.keyId(keyId)).setData(UnsafeByteOperations.unsafeWrap(data)).build();
        Item item = new Item(request, call.correlationId());
        Arrival arrival = arrive(keyId, item);
        switch (arrival.role()) {
            case ALONE -> {
                try {
                    return transport.sign(call, request);
                } finally {
                    finished(keyId);
                }
            }
            case FILLER -> dispatch(arrival.batch());
            case LEADER -> linger(item, arrival.batch());
            case MEMBER -> { }
        }
        try {
            return await(call, item, arrival.batch());
        } finally {
            call.attempts = arrival.batch().attempts;
        }
    }

    private Arrival arrive(KeyId keyId, Item item) {
        Arrival[] arrival = new Arrival[1];
        lanes.compute(keyId, (k, current) -> {
            Lane lane = current != null ? current : new Lane();
            int size = item.request.getData().size();
            if (lane.open == null && lane.inFlight == 0 || size > ALONE_ABOVE_BYTES) {
                lane.inFlight++;
                arrival[0] = new Arrival(Role.ALONE, null);
                return lane;
            }
            boolean opened = lane.open == null;
            if (opened) {
                lane.open = new Batch(k, maxItems);
            }
            Batch b = lane.open;
            b.items.add(item);
            b.bytes += size;
            if (b.items.size() >= maxItems || b.bytes >= MAX_BATCH_DATA_BYTES) {
                // Full: it leaves now, and the next call opens a new batch.
                lane.open = null;
                lane.inFlight++;
                arrival[0] = new Arrival(Role.FILLER, b);
            } else {
                arrival[0] = new Arrival(opened ? Role.LEADER : Role.MEMBER, b);
            }
            return lane;
        });
        return arrival[0];
    }

    /** Closes {@code batch} for sending unless the call that filled it already did; true when the caller must send it. */
    private boolean seal(Batch batch) {
        boolean[] mine = new boolean[1];
        lanes.computeIfPresent(batch.keyId, (k, lane) -> {
            if (lane.open == batch) {
                lane.open = null;
                lane.inFlight++;
                mine[0] = true;
            }
            return lane;
        });
        return mine[0];
    }

    /** An RPC of {@code keyId} ended; an idle lane leaves the map. */
    private void finished(KeyId keyId) {
        lanes.computeIfPresent(keyId, (k, lane) -> {
            lane.inFlight--;
            return lane.inFlight == 0 && lane.open == null ? null : lane;
        });
    }

    /** The leader's wait: until the batch was filled (and sent by the call that filled it), at most the linger; then sends it. */
    private void linger(Item leader, Batch batch) {
        boolean interrupted = false;
        try {
            leader.answer.get(lingerNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // The linger is over: send what has gathered, below.
        } catch (ExecutionException e) {
            // Already answered, with a failure: await() rethrows it.
        } catch (InterruptedException e) {
            // Send at once anyway: the other callers of this batch must not wait for a leader that left.
            interrupted = true;
        }
        if (seal(batch)) {
            dispatch(batch);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends a sealed batch (counted in flight by whoever sealed it) on a virtual thread of its own. */
    private void dispatch(Batch batch) {
        try {
            Thread.ofVirtual().name("keyline-sign-batch").start(() -> {
                try {
                    send(batch);
                } finally {
                    finished(batch.keyId);
                }
            });
        } catch (RuntimeException | Error e) {
            finished(batch.keyId);
            fail(batch, new CryptoException(Reason.INTERNAL, "cannot start a batched sign: " + e.getClass().getSimpleName(),
                    batch.correlationId, e));
            throw e;
        }
    }

    private void send(Batch batch) {
        List<Item> items = batch.items;
        metrics.signBatch(items.size());
        if (LOG.isDebugEnabled()) {
            LOG.atDebug().addKeyValue("batch_correlation_id", batch.correlationId).addKeyValue("key_id", batch.keyId.toString())
                    .addKeyValue("items", items.size()).addKeyValue("correlation_ids", items.stream().map(i -> i.correlationId).toList())
                    .log("sending a batch of sign calls");
        }
        Call call = new Call("sign", batch.keyId, RequestContext.of(batch.correlationId));
        try {
            BatchSignRequest.Builder request = BatchSignRequest.newBuilder();
            items.forEach(i -> request.addItems(i.request));
            List<BatchSignItem> answers = transport.batchSign(call, request.build());
            batch.attempts = call.attempts;
            if (answers.size() != items.size()) {
                throw new CryptoException(Reason.ALGORITHM_MISMATCH, "the service answered " + answers.size() + " items to a batch of "
                        + items.size(), batch.correlationId, null);
            }
            for (int i = 0; i < items.size(); i++) {
                BatchSignItem a = answers.get(i);
                if (a.getStatus().getCode() == Code.OK_VALUE) {
                    items.get(i).answer.complete(a.getResult());
                } else {
                    items.get(i).answer.completeExceptionally(Errors.fromItemStatus(a.getStatus(), "Sign", batch.correlationId));
                }
            }
        } catch (CryptoException e) {
            batch.attempts = call.attempts;
            fail(batch, e);
        } catch (RuntimeException e) {
            batch.attempts = call.attempts;
            fail(batch, new CryptoException(Reason.INTERNAL, "batched sign failed unexpectedly: " + e.getClass().getSimpleName(),
                    batch.correlationId, e));
        } finally {
            // Whatever happened (an Error included), no caller is left waiting.
            fail(batch, new CryptoException(Reason.INTERNAL, "the batched sign ended without an answer", batch.correlationId, null));
        }
    }

    /** Fails every item of {@code batch} not answered yet. */
    private static void fail(Batch batch, CryptoException e) {
        for (Item i : batch.items) {
            i.answer.completeExceptionally(e);
        }
    }

    private static SignResponse await(Call call, Item item, Batch batch) {
        try {
            return item.answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptoException(Reason.INTERNAL, "interrupted while waiting for a batched sign", call.correlationId(), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CryptoException ce) {
                // One exception per caller, with its own correlation id; the batch's is where the service's audit log has it.
                throw new CryptoException(ce.reason(), ce.getMessage() + " (batched sign, batch correlation id " + batch.correlationId + ")",
                        call.correlationId(), ce.getCause());
            }
            throw new CryptoException(Reason.INTERNAL, "a batched sign failed: " + e.getCause().getClass().getSimpleName(),
                    call.correlationId(), e.getCause());
        }
    }
}
