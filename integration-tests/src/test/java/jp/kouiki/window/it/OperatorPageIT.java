package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import com.fasterxml.jackson.databind.JsonNode;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.security.KeyMaterialLayout;

/**
 * The operator page in headless Chromium from Debian (packages chromium and chromium-driver), driven through Selenium
 * with the driver path set, so Selenium never downloads a driver or a browser. It signs in and checks that the numbers
 * the page shows are the numbers of the JSON API. Skips without Chromium, and fails then under
 * {@code -Dwindow.requireExternalTools=true}. Saves a screenshot to {@code target/operator-page.png}.
 */
class OperatorPageIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    @Test
    void pageShowsTheNumbersOfTheApi() throws Exception {
        requireChromium();
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(OperatorApiIT.CHIYODA,
                OperatorApiIT.CHUO))) {
            OperatorApiIT.addAccounts(system);
            system.startCentral();
            system.startAgent();
            OperatorHttp api = OperatorHttp.to(system);
            api.signIn(OperatorApiIT.ACTOR, OperatorApiIT.ACTOR_PASSWORD);
            api.post("/operator/api/municipalities/131016/pause", "{\"reason\":\"folder maintenance\"}");
            system.drop(OperatorApiIT.CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));
            system.drop(OperatorApiIT.CHIYODA, "131016_POSTAL_20261205.csv", TestFiles.postalRecords("13101"));
            system.drop(OperatorApiIT.CHUO, "131024_POSTAL_20261204.csv", TestFiles.postalRecords("13102"));
            await("Chuo delivered, Chiyoda queued").atMost(TIMEOUT)
                    .until(() -> TestFiles.countFiles(system.inbound(OperatorApiIT.CHUO)) == 1
                            && system.centralMessages(QueueNames.upload(OperatorApiIT.CHIYODA)) == 2);
            await("history has the delivery").atMost(TIMEOUT).until(() -> api
                    .get("/operator/api/transfers?outcome=delivered").json().size() == 1);
            system.placeOutbound("131024", "131024_KYUFU_20261205.csv",
                    "for Chuo\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            await("download written at the agent").atMost(TIMEOUT).until(() -> api
                    .get("/operator/api/municipalities/131024/downloads").json().path(0).path("state").asText()
                    .equals("received"));

            WebDriver browser = startBrowser(system);
            try {
                browser.get("https://localhost:" + system.operatorPort + "/operator/");
                browser.findElement(By.id("sign-in-name")).sendKeys(OperatorApiIT.VIEWER);
                browser.findElement(By.id("sign-in-password")).sendKeys(OperatorApiIT.VIEWER_PASSWORD);
                browser.findElement(By.id("sign-in-button")).click();
                await("page loaded its tables").atMost(TIMEOUT).until(() -> "true".equals(
                        browser.findElement(By.tagName("body")).getDomAttribute("data-loaded"))
                        && !browser.findElements(By.cssSelector("#transfers tbody tr")).isEmpty());

                JsonNode statuses = api.get("/operator/api/municipalities").json();
                Map<String, WebElement> rows = new HashMap<>();
                for (WebElement row : browser.findElements(By.cssSelector("#municipalities tbody tr"))) {
                    rows.put(row.getDomAttribute("data-code"), row);
                }
                assertThat(rows).hasSize(statuses.size());
                for (JsonNode status : statuses) {
                    WebElement row = rows.get(status.path("code").asText());
                    assertThat(cell(row, "upload-messages")).as(status.path("code").asText())
                            .isEqualTo(status.path("uploadMessages").asText());
                    assertThat(cell(row, "upload-bytes")).isEqualTo(status.path("uploadBytes").asText());
                    assertThat(cell(row, "dead-letters")).isEqualTo(status.path("deadLetters").asText());
                    assertThat(cell(row, "delivered-today")).startsWith(status.path("deliveredTodayFiles").asText()
                            + " 件");
                    assertThat(cell(row, "agent-version")).isEqualTo(status.path("agentVersion").asText());
                    assertThat(status.path("agentConfigDigest").asText("")).startsWith(cell(row,
                            "agent-config-digest"));
                    assertThat(cell(row, "agent-version-flag")).isEmpty();
                }
                assertThat(cell(rows.get("131024"), "agent-config-digest")).hasSize(12);
                JsonNode versions = api.get("/operator/api/versions").json();
                assertThat(browser.findElement(By.id("central-version")).getText())
                        .isEqualTo(versions.path("central").path("version").asText());
                assertThat(browser.findElement(By.id("central-digest")).getText())
                        .isEqualTo(versions.path("central").path("configDigest").asText());
                assertThat(browser.findElement(By.id("accepted-versions")).getText()).isEqualTo("すべて / any");
                assertThat(browser.findElement(By.id("version-summary")).getText()).contains("受付外 0");
                assertThat(cell(rows.get("131016"), "upload-messages")).isEqualTo("2");
                assertThat(rows.get("131016").getDomAttribute("class")).isEqualTo("paused");
                assertThat(cell(rows.get("131024"), "delivered-today")).startsWith("1 件");
                String why = browser.findElement(By.cssSelector("#why li[data-code='131016']")).getText();
                assertThat(why).contains("操作者 " + OperatorApiIT.ACTOR).contains("folder maintenance");
                List<WebElement> transfers = browser.findElements(By.cssSelector("#transfers tbody tr"));
                assertThat(transfers).hasSize(api.get("/operator/api/transfers").json().size());

                browser.findElement(By.id("downloads-municipality")).sendKeys("131024");
                browser.findElement(By.id("downloads-button")).click();
                await("downloads shown").atMost(Duration.ofSeconds(10))
                        .until(() -> !browser.findElements(By.cssSelector("#downloads tbody tr")).isEmpty());
                WebElement download = browser.findElement(By.cssSelector("#downloads tbody tr"));
                assertThat(cell(download, "state")).isEqualTo("受信済み / received");
                assertThat(cell(download, "file-name")).isEqualTo("131024_KYUFU_20261205.csv");

                byte[] screenshot = ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES);
                Files.write(Path.of("target", "operator-page.png"), screenshot);
            } finally {
                browser.quit();
            }
        }
    }

    private WebDriver startBrowser(WindowSystem system) throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--disable-dev-shm-usage", "--window-size=1600,1000", "--lang=ja",
                "--user-data-dir=" + Files.createDirectories(root.resolve("chromium-profile")),
                // Trusts exactly the test server's key, so no other certificate error is ignored.
                "--ignore-certificate-errors-spki-list=" + serverKeyPin(system));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    /** Returns the base64 SHA-256 of the server certificate's public key, as Chromium's SPKI list takes it. */
    private static String serverKeyPin(WindowSystem system) throws Exception {
        Path certificate = new KeyMaterialLayout(system.keys()).serverCertificate();
        X509Certificate server;
        try (var in = Files.newInputStream(certificate)) {
            server = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(server.getPublicKey().getEncoded()));
    }

    private static String cell(WebElement row, String className) {
        return row.findElement(By.className(className)).getText();
    }

    private static void requireChromium() {
        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
            return;
        }
        String message = "Chromium or its driver is not installed at " + CHROMIUM + " and " + CHROMEDRIVER
                + "; install the Debian packages chromium and chromium-driver (apt-get install chromium"
                + " chromium-driver) to run the operator page test";
        ExternalTools.missing(message);
    }
}
