package jp.kouiki.window.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.iffile.InterfaceFileChecker;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.security.SigningKeys;

/**
 * Measures, one at a time on one thread, the passes over a large file that the product makes on each side, and one
 * durable copy of it. Their sum and the disk time give the least time any arrangement of those passes can take on
 * this machine. It also times the signature and signature check of one file's manifest, the CPU that every small
 * file costs. The throughput bench measures how long the product takes.
 */
public final class CpuFloorBench {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final int BLOCK_BYTES = 1024 * 1024;
    /** The size of a full TLS record's payload. */
    private static final int TLS_RECORD_BYTES = 16 * 1024;
    /** Durable copies of each file: the agent's queue, the central queue and the union's folder. */
    private static final int DURABLE_COPIES = 3;
    private static final int SIGNATURES_PER_ROUND = 2000;

    private final Path work;
    private final long mib;
    private final int rounds;

    private CpuFloorBench(Path work, long mib, int rounds) {
        this.work = work;
        this.mib = mib;
        this.rounds = rounds;
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of("bench-work");
        long mib = 1024;
        int rounds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--work" -> work = Path.of(args[++i]);
                case "--mib" -> mib = Long.parseLong(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--help" -> {
                    System.out.println("usage: bench/run-cpu-floor.sh [--mib 1024] [--rounds 3] [--work bench-work]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; see --help");
            }
        }
        if (mib < 1 || rounds < 1) {
            throw new IllegalArgumentException("--mib and --rounds must be at least 1");
        }
        new CpuFloorBench(work.toAbsolutePath(), mib, rounds).run();
    }

    private void run() throws Exception {
        Path folder = work.resolve("floor");
        Files.createDirectories(folder);
        long size = mib * BLOCK_BYTES;
        long free = Files.getFileStore(folder).getUsableSpace();
        if (free < 3 * size + (1L << 30)) {
            throw new IOException("only " + (free >> 20) + " MiB free in " + folder + "; the floor bench needs three"
                    + " times the file size and 1 GiB more; free disk space or lower --mib");
        }
        System.out.println("floor bench started; machine: " + Machine.describe(folder));

        String fileName = CHIYODA + "_POSTAL_20261204_" + mib + "MIB.csv";
        Path file = folder.resolve(fileName);
        Path ciphertext = folder.resolve("ciphertext");
        Path copy = folder.resolve("copy");
        Files.deleteIfExists(file);
        Files.deleteIfExists(ciphertext);
        Files.deleteIfExists(copy);
        long fileBytes = new BenchFiles().write(file, CHIYODA, size, 0).size();

        Path keys = work.resolve("keys-floor");
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        PayloadCipher cipher = new PayloadCipher(new KeyMaterialLayout(keys)::encryptionKeyset);
        String fileId = "floor-" + mib;
        try (InputStream in = Files.newInputStream(file);
                OutputStream out = cipher.encryptingStream(Files.newOutputStream(ciphertext), CHIYODA, fileId)) {
            in.transferTo(out);
        }
        // An fsync on ext4 may also write other files' dirty pages, so the inputs reach the disk before any timing.
        sync(file);
        sync(ciphertext);
        InterfaceFileChecker checker = new InterfaceFileChecker();
        InterfaceFileName name = InterfaceFileName.parse(fileName, CHIYODA);

        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        for (int round = 0; round <= rounds; round++) {
            boolean warmUp = round == 0;
            time(seconds, warmUp, "record check", () -> checker.check(file, name));
            time(seconds, warmUp, "SHA-256", () -> sha256(file));
            time(seconds, warmUp, "payload encryption", () -> encrypt(cipher, file, fileId));
            time(seconds, warmUp, "payload decryption", () -> decrypt(cipher, ciphertext, fileId));
            time(seconds, warmUp, "TLS record cipher (AES-128-GCM)", () -> tlsRecords(ciphertext));
            time(seconds, warmUp, "durable copy (write and fsync)", () -> durableCopy(file, copy));
        }
        report(seconds, fileBytes);
        signatures(new KeyMaterialLayout(keys));
        Files.deleteIfExists(file);
        Files.deleteIfExists(ciphertext);
    }

    private void report(Map<String, List<Double>> seconds, long fileBytes) {
        double gib = fileBytes / (double) (1L << 30);
        Map<String, Double> perGib = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> entry : seconds.entrySet()) {
            double best = entry.getValue().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            perGib.put(entry.getKey(), best / gib);
            System.out.printf(Locale.ROOT, "%-34s %.2f s per GiB (fastest of %s)%n", entry.getKey(), best / gib,
                    entry.getValue().stream().map(value -> String.format(Locale.ROOT, "%.2f", value / gib)).toList());
        }
        double check = perGib.get("record check");
        double sha = perGib.get("SHA-256");
        double tls = perGib.get("TLS record cipher (AES-128-GCM)");
        double agent = check + sha + perGib.get("payload encryption") + tls;
        double central = tls + perGib.get("payload decryption") + check + sha;
        int cores = Runtime.getRuntime().availableProcessors();
        double cpuBound = (agent + central) / cores;
        double diskBound = DURABLE_COPIES * perGib.get("durable copy (write and fsync)");
        System.out.printf(Locale.ROOT, "agent passes (check, SHA-256, encryption, TLS) %.2f s per GiB; central passes"
                + " (TLS, decryption, check, SHA-256) %.2f s per GiB%n", agent, central);
        System.out.printf(Locale.ROOT, "least time per GiB on %d cores: CPU %.2f s, disk for %d durable copies %.2f s;"
                + " bound %.2f s per GiB; load %s%n", cores, cpuBound, DURABLE_COPIES, diskBound,
                Math.max(cpuBound, diskBound), Machine.loadAverage());
    }

    /**
     * Times the signature that every file's manifest gets at the agent and the check at the central server, the
     * per-file CPU that a small file cannot avoid whatever the batching.
     */
    private void signatures(KeyMaterialLayout layout) throws Exception {
        PrivateKey privateKey = SigningKeys.readPrivateKey(layout.signingPrivateKey(CHIYODA));
        PublicKey publicKey = SigningKeys.readPublicKey(layout.signingPublicKey(CHIYODA));
        byte[] manifest = ("{\"fileId\":\"0123456789abcdef0123456789abcdef\",\"municipality\":\"131016\","
                + "\"fileName\":\"131016_POSTAL_20261204_00001.csv\",\"size\":4096,\"sha256\":\""
                + "0".repeat(64) + "\",\"ifKind\":\"POSTAL\"}").getBytes(StandardCharsets.UTF_8);
        String signature = ManifestSignatures.sign(manifest, privateKey);
        double signMillis = Double.MAX_VALUE;
        double verifyMillis = Double.MAX_VALUE;
        for (int round = 0; round <= rounds; round++) {
            long started = System.nanoTime();
            for (int i = 0; i < SIGNATURES_PER_ROUND; i++) {
                signature = ManifestSignatures.sign(manifest, privateKey);
            }
            long signed = System.nanoTime();
            for (int i = 0; i < SIGNATURES_PER_ROUND; i++) {
                if (!ManifestSignatures.verify(manifest, signature, publicKey)) {
                    throw new IllegalStateException("the bench's own signature did not verify");
                }
            }
            long verified = System.nanoTime();
            if (round > 0) {
                signMillis = Math.min(signMillis, (signed - started) / 1e6 / SIGNATURES_PER_ROUND);
                verifyMillis = Math.min(verifyMillis, (verified - signed) / 1e6 / SIGNATURES_PER_ROUND);
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "manifest signature (agent) %.3f ms, signature check (central server) %.3f ms"
                + " per file; these alone allow at most %.0f files per second on %d cores%n", signMillis,
                verifyMillis, cores * 1000 / (signMillis + verifyMillis), cores);
    }

    private interface Pass {
        void run() throws Exception;
    }

    private static void time(Map<String, List<Double>> seconds, boolean warmUp, String label, Pass pass)
            throws Exception {
        long started = System.nanoTime();
        pass.run();
        double elapsed = (System.nanoTime() - started) / 1e9;
        if (!warmUp) {
            seconds.computeIfAbsent(label, key -> new ArrayList<>()).add(elapsed);
        }
    }

    private static void sha256(Path file) throws IOException, GeneralSecurityException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[BLOCK_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            for (int read = in.read(block); read >= 0; read = in.read(block)) {
                digest.update(block, 0, read);
            }
        }
        digest.digest();
    }

    private static void encrypt(PayloadCipher cipher, Path file, String fileId) throws IOException {
        try (InputStream in = Files.newInputStream(file);
                OutputStream out = cipher.encryptingStream(OutputStream.nullOutputStream(), CHIYODA, fileId)) {
            in.transferTo(out);
        }
    }

    private static void decrypt(PayloadCipher cipher, Path ciphertext, String fileId) throws IOException {
        try (InputStream in = cipher.decryptingStream(Files.newInputStream(ciphertext), CHIYODA, fileId)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** Encrypts the file in full TLS records with AES-128-GCM, the cheaper TLS 1.3 AES suite, without framing. */
    private static void tlsRecords(Path file) throws IOException, GeneralSecurityException {
        SecretKeySpec key = new SecretKeySpec(new byte[16], "AES");
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] record = new byte[TLS_RECORD_BYTES];
        byte[] sealed = new byte[TLS_RECORD_BYTES + 16];
        byte[] nonce = new byte[12];
        long sequence = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int read = in.readNBytes(record, 0, record.length); read > 0;
                    read = in.readNBytes(record, 0, record.length)) {
                sequence++;
                for (int i = 0; i < 8; i++) {
                    nonce[4 + i] = (byte) (sequence >>> (56 - 8 * i));
                }
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                cipher.doFinal(record, 0, read, sealed, 0);
            }
        }
    }

    private static void sync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Writes the file's bytes into a new file in 1 MiB blocks and syncs it. */
    private static void durableCopy(Path file, Path copy) throws IOException {
        Files.deleteIfExists(copy);
        ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_BYTES);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (in.read(block.clear()) >= 0) {
                block.flip();
                while (block.hasRemaining()) {
                    out.write(block);
                }
            }
            out.force(true);
        }
        Files.delete(copy);
    }
}
