package jp.kouiki.window.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: curl uploading into a private nginx instance (Debian package nginx). nginx has its own prefix and
 * configuration under the bench folder and serves WebDAV PUT over HTTPS on 127.0.0.1 only, with a self-signed
 * certificate that openssl makes at run time. It is stopped by its pid.
 */
final class NginxDav implements AutoCloseable {

    static final Path NGINX = Path.of("/usr/sbin/nginx");

    private final Path prefix;
    private final int port;
    private final Process nginx;

    private NginxDav(Path prefix, int port, Process nginx) {
        this.prefix = prefix;
        this.port = port;
        this.nginx = nginx;
    }

    static NginxDav start(Path prefix, int port) throws IOException, InterruptedException {
        if (!Files.isExecutable(NGINX)) {
            throw new IllegalStateException("nginx is not installed at " + NGINX + "; install the Debian package"
                    + " nginx (apt-get install nginx)");
        }
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("temp"));
        Files.createDirectories(prefix.resolve("html/dav"));
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", prefix.resolve("key.pem").toString(), "-out", prefix.resolve("cert.pem").toString(),
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                prefix.resolve("logs/openssl.out"));
        Path configuration = writeConfiguration(prefix, port);
        Process nginx = new ProcessBuilder(NGINX.toString(), "-c", configuration.toString(), "-p", prefix + "/",
                "-g", "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(prefix.resolve("logs/nginx.out").toFile())
                .start();
        NginxDav dav = new NginxDav(prefix, port, nginx);
        dav.awaitListening();
        return dav;
    }

    /** Returns the folder that a PUT to {@code /dav/<path>} writes into. */
    Path davRoot() {
        return prefix.resolve("html/dav");
    }

    /** Uploads one file with one curl PUT and returns the elapsed seconds. */
    double put(Path file, String path) throws IOException, InterruptedException {
        long started = System.nanoTime();
        run(List.of("curl", "-sS", "--fail", "--cacert", prefix.resolve("cert.pem").toString(), "-T", file.toString(),
                "-o", "/dev/null", url(path)), prefix.resolve("logs/curl.out"));
        return (System.nanoTime() - started) / 1e9;
    }

    /**
     * Uploads many files with one curl invocation, so on one keep-alive connection, and returns the elapsed seconds.
     * The curl configuration file is written before the clock starts.
     */
    double putAll(List<Path> files, List<String> paths) throws IOException, InterruptedException {
        Path config = prefix.resolve("curl-many.conf");
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(config, StandardCharsets.UTF_8))) {
            for (int i = 0; i < files.size(); i++) {
                out.println("upload-file = \"" + files.get(i) + "\"");
                out.println("url = \"" + url(paths.get(i)) + "\"");
                out.println("output = \"/dev/null\"");
            }
        }
        long started = System.nanoTime();
        run(List.of("curl", "-sS", "--fail", "--cacert", prefix.resolve("cert.pem").toString(), "-K",
                config.toString()), prefix.resolve("logs/curl.out"));
        return (System.nanoTime() - started) / 1e9;
    }

    long pid() {
        return nginx.pid();
    }

    private String url(String path) {
        return "https://localhost:" + port + "/dav/" + path;
    }

    private void awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!nginx.isAlive()) {
                throw new IllegalStateException("nginx exited with code " + nginx.exitValue() + "; see "
                        + prefix.resolve("logs"));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nginx does not listen on 127.0.0.1:" + port + " after 20 s");
    }

    private static Path writeConfiguration(Path prefix, int port) throws IOException {
        // As root, nginx runs its workers as "nobody", who could not write into the bench folder.
        String user = System.getProperty("user.name").equals("root") ? "user root;\n" : "";
        String configuration = user + """
                worker_processes 1;
                pid "%1$s/nginx.pid";
                error_log "%1$s/logs/error.log" warn;
                events {
                    worker_connections 64;
                }
                http {
                    access_log off;
                    client_body_temp_path "%1$s/temp/client_body";
                    proxy_temp_path "%1$s/temp/proxy";
                    fastcgi_temp_path "%1$s/temp/fastcgi";
                    uwsgi_temp_path "%1$s/temp/uwsgi";
                    scgi_temp_path "%1$s/temp/scgi";

                    server {
                        listen 127.0.0.1:%2$d ssl;
                        server_name localhost;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        ssl_certificate "%1$s/cert.pem";
                        ssl_certificate_key "%1$s/key.pem";
                        keepalive_requests 100000;

                        location /dav/ {
                            root "%1$s/html";
                            dav_methods PUT;
                            create_full_put_path on;
                            client_max_body_size 0;
                        }

                        location / {
                            return 404;
                        }
                    }
                }
                """.formatted(prefix.toAbsolutePath(), port);
        Path file = prefix.resolve("nginx.conf");
        Files.writeString(file, configuration, StandardCharsets.US_ASCII);
        return file;
    }

    private static void run(List<String> command, Path output) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .start();
        if (!process.waitFor(30, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException(command.get(0) + " timed out after 30 minutes; see " + output);
        }
        if (process.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed with exit code " + process.exitValue() + "; see " + output);
        }
    }

    /** Stops nginx by its pid with SIGTERM, then SIGKILL, and its worker with it. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> workers = nginx.descendants().toList();
        nginx.destroy();
        if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
            nginx.destroyForcibly();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle worker : workers) {
            worker.destroyForcibly();
        }
    }
}
