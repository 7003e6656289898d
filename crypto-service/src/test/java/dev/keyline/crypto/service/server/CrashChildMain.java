package dev.keyline.crypto.service.server;

import java.nio.file.Path;
import java.time.InstantSource;

/** A crypto service in a child JVM, for the crash test: prints {@code READY <port>} and runs until killed. */
public final class CrashChildMain {
    private CrashChildMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        CryptoServiceConfig config = CryptoServiceConfig.defaults(Path.of(args[0])).grpcPort(0).httpPort(0).build();
        CryptoServer server = CryptoServer.start(config, new CryptoServer.Network(), false, InstantSource.system());
        System.out.println("READY " + server.grpcPort());
        System.out.flush();
        Thread.currentThread().join();
    }
}
