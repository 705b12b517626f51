package jp.kouiki.window.broker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.ha.SharedStoreBackupPolicyConfiguration;
import org.apache.activemq.artemis.core.config.ha.SharedStorePrimaryPolicyConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.config.impl.SecurityConfiguration;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnectorFactory;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressFullMessagePolicy;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.spi.core.security.ActiveMQJAASSecurityManager;
import org.apache.activemq.artemis.spi.core.security.jaas.InVMLoginModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * An embedded Artemis broker with a persistent journal and one set of addresses per municipality. It has no network
 * acceptor: the application reaches it in-VM only, and only HTTPS faces the network.
 *
 * <p>Security is on. Each municipality has a broker user whose role may send, consume and browse only on its own
 * addresses ({@link QueueNames#addresses}); the application's own routes use the {@value #ROUTES_ROLE} role.
 * Passwords are random per start because no client outside this JVM ever logs in.
 *
 * <p>Two brokers can form a primary/backup pair on a shared data directory ({@link HaRole}). Such a broker may start
 * without being active; {@link #awaitActivation()} waits until it holds the shared store's lock, and only then are its
 * queues and sessions usable.
 */
public final class WindowBroker implements AutoCloseable {

    public static final String ROUTES_USER = "window-routes";
    public static final String ROUTES_ROLE = "window-routes";
    /** Role of the operator tools: browse and manage queues, never send or consume, and never hold keys. */
    public static final String OPERATORS_ROLE = "window-operators";
    public static final String OPERATOR_USER = "window-operator";

    /** Delay before the in-VM session factory reconnects after its connection failed, doubling up to the maximum, ms. */
    private static final long IN_VM_RETRY_INTERVAL_MS = 100;
    private static final long IN_VM_MAX_RETRY_INTERVAL_MS = 5000;
    /**
     * Message references each municipality queue allocates when it is created; a power of two.
     *
     * <p>TODO: a broker for all 1,741 municipalities still keeps about 54 KiB of heap per municipality. A central
     * server for all of them at -Xmx256m finishes the spread bench with its heap full (12 full collections), so it
     * needs more heap or less per-queue state.
     */
    private static final int INITIAL_QUEUE_BUFFER_REFERENCES = 128;
    private static final Logger LOG = LoggerFactory.getLogger(WindowBroker.class);

    static {
        unboundInVmThreads();
    }

    private final BrokerSettings settings;
    private final HaRole haRole;
    private final SecurityConfiguration users = new SecurityConfiguration();
    private final Map<String, String> passwords = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private EmbeddedActiveMQ embedded;
    private ServerLocator locator;
    private volatile ClientSessionFactory routesSessionFactory;
    /** Connections of threads that asked for one of their own, closed with the broker. */
    private final List<ClientSessionFactory> threadFactories = new CopyOnWriteArrayList<>();
    private final ThreadLocal<ClientSessionFactory> threadFactory = new ThreadLocal<>();
    private volatile boolean closed;

    public WindowBroker(BrokerSettings settings) {
        this(settings, HaRole.NONE);
    }

    public WindowBroker(BrokerSettings settings, HaRole haRole) {
        this.settings = settings;
        this.haRole = haRole;
    }

    /**
     * Lifts the bound of the broker client's global thread pool before the first in-VM connection exists. Every in-VM
     * connection of the JVM hands its packets to the client on one pool whose size Artemis takes from that bound
     * (8 threads per core) when it first creates the pool. A thread that passes a large body to a reader waits while
     * the reader's buffer is full, so 16 slow readers on two cores took every thread, and no blocking call of any
     * connection returned any more. Without the bound the pool holds one thread per waiting reader, and the workers that
     * read bodies are few and bounded by their settings.
     */
    private static void unboundInVmThreads() {
        if (ActiveMQClient.getGlobalThreadPoolSize() != -1) {
            ActiveMQClient.setGlobalThreadPoolProperties(-1, ActiveMQClient.getGlobalScheduledThreadPoolSize(),
                    ActiveMQClient.getGlobalFlowControlThreadPoolSize());
        }
    }

    /**
     * Starts the broker. A single broker ({@link HaRole#NONE}) is active when this returns: its journal is loaded and
     * every municipality's queues exist. A broker of a pair may still be waiting for the shared store; call
     * {@link #awaitActivation()} before using it.
     */
    public WindowBroker start() throws Exception {
        if (haRole == HaRole.NONE) {
            requireDataDirectoryFree();
        }
        Configuration configuration = buildConfiguration();
        addUser(ROUTES_USER, ROUTES_ROLE);
        addUser(OPERATOR_USER, OPERATORS_ROLE);
        for (MunicipalityCode code : settings.municipalities()) {
            addUser(QueueNames.municipalityUser(code), QueueNames.municipalityRole(code));
        }
        embedded = new EmbeddedActiveMQ()
                .setConfiguration(configuration)
                .setSecurityManager(new ActiveMQJAASSecurityManager(InVMLoginModule.class.getName(), users));
        embedded.start();
        if (haRole == HaRole.NONE) {
            completeActivation();
        } else {
            LOG.info("Broker started on a shared store: dataDirectory={} role={}", settings.dataDirectory(),
                    haRole.name().toLowerCase(java.util.Locale.ROOT));
        }
        return this;
    }

    /**
     * Waits until this broker is the active node of its pair, then creates the queues it needs; returns at once for a
     * single broker.
     *
     * @return false when the broker was closed before it became active
     */
    public boolean awaitActivation() throws Exception {
        long waitedSeconds = 0;
        while (routesSessionFactory == null) {
            if (closed) {
                return false;
            }
            if (server().waitForActivation(10, TimeUnit.SECONDS)) {
                if (closed) {
                    return false;
                }
                synchronized (this) {
                    if (routesSessionFactory == null) {
                        LOG.info("Broker active on the shared store: dataDirectory={} role={} waitedSeconds={}",
                                settings.dataDirectory(), haRole.name().toLowerCase(java.util.Locale.ROOT),
                                waitedSeconds);
                        completeActivation();
                    }
                }
                return true;
            }
            waitedSeconds += 10;
            if (waitedSeconds % 300 == 10) {
                LOG.info("Broker waiting for the shared store: another node is active; dataDirectory={}"
                        + " waitedSeconds={}", settings.dataDirectory(), waitedSeconds);
            }
        }
        return true;
    }

    /** Returns whether this broker is active, so that its queues exist and sessions can be opened. */
    public boolean isActive() {
        return routesSessionFactory != null && !closed;
    }

    private void completeActivation() throws Exception {
        for (MunicipalityCode code : settings.municipalities()) {
            createQueues(code);
        }
        ServerLocator newLocator = ActiveMQClient.createServerLocatorWithoutHA(
                        new TransportConfiguration(InVMConnectorFactory.class.getName(),
                                Map.of("serverId", settings.inVmServerId())))
                .setBlockOnDurableSend(true)
                .setBlockOnAcknowledge(true)
                .setMinLargeMessageSize(100 * 1024)
                .setConsumerWindowSize(1024 * 1024)
                .setProducerWindowSize(1024 * 1024)
                // A blocking call that waits longer than the call timeout (30 s, seen on an overloaded machine)
                // destroys the in-VM connection. Without reconnecting, every later session of this factory failed
                // until a restart; with it, the next session works again.
                .setReconnectAttempts(-1)
                .setRetryInterval(IN_VM_RETRY_INTERVAL_MS)
                .setMaxRetryInterval(IN_VM_MAX_RETRY_INTERVAL_MS)
                .setRetryIntervalMultiplier(2.0);
        locator = newLocator;
        routesSessionFactory = newLocator.createSessionFactory();
        LOG.info("Broker started: dataDirectory={} municipalities={} journalType={} persistence={}",
                settings.dataDirectory(), settings.municipalities().size(),
                server().getConfiguration().getJournalType(), server().getConfiguration().isPersistenceEnabled());
    }

    /**
     * Fails at once when another process runs a broker on the same data directory; Artemis itself would wait for its
     * lock without a word.
     */
    private void requireDataDirectoryFree() throws IOException {
        Path journal = settings.dataDirectory().resolve("journal");
        for (String name : List.of("server.lock", "serverlock.1", "serverlock.2")) {
            Path lockFile = journal.resolve(name);
            if (!Files.exists(lockFile)) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileLock lock = channel.tryLock()) {
                if (lock == null) {
                    throw new IllegalStateException("broker data directory " + settings.dataDirectory()
                            + " is in use by another process; stop that process or give this one its own data"
                            + " directory");
                }
            }
        }
    }

    private Configuration buildConfiguration() throws Exception {
        Configuration configuration = new ConfigurationImpl()
                .setName("window-broker-" + settings.inVmServerId())
                .setPersistenceEnabled(true)
                .setSecurityEnabled(true)
                .setJournalType(JournalType.valueOf(settings.journalType()))
                .setJournalSyncTransactional(true)
                .setJournalSyncNonTransactional(true)
                .setJournalDatasync(true)
                .setJournalDirectory(settings.dataDirectory().resolve("journal").toString())
                .setBindingsDirectory(settings.dataDirectory().resolve("bindings").toString())
                .setPagingDirectory(settings.dataDirectory().resolve("paging").toString())
                .setLargeMessagesDirectory(settings.dataDirectory().resolve("large-messages").toString())
                .setIDCacheSize(settings.idCacheSize())
                .setPersistIDCache(true)
                .setJMXManagementEnabled(false)
                .setPopulateValidatedUser(true)
                .setMaxDiskUsage(settings.maxDiskUsagePercent());
        switch (haRole) {
            case PRIMARY -> configuration.setHAPolicyConfiguration(new SharedStorePrimaryPolicyConfiguration()
                    .setFailoverOnServerShutdown(true)
                    .setWaitForActivation(false));
            // No automatic failback: a primary that comes back waits until this node stops, so files are not
            // interrupted a second time and the operator chooses when to switch back.
            case BACKUP -> configuration.setHAPolicyConfiguration(new SharedStoreBackupPolicyConfiguration()
                    .setFailoverOnServerShutdown(true)
                    .setAllowFailBack(false)
                    .setRestartBackup(false));
            case NONE -> {
            }
        }
        configuration.addAcceptorConfiguration("in-vm", "vm://" + settings.inVmServerId());
        configuration.addAddressSetting("#", new AddressSettings()
                .setAutoCreateAddresses(false)
                .setAutoCreateQueues(false)
                .setSendToDLAOnNoRoute(false));
        configuration.putSecurityRoles("#", Set.of(routesRole(), operatorsRole()));
        // Exact address names rather than one municipality.<code>.# match each: Artemis tests every wildcard match
        // against an address with a regular expression (HierarchicalObjectRepository in 2.54), so with 1,741
        // municipalities every look-up ran 1,741 of them and a 256 MiB central server ran out of heap at start-up.
        for (MunicipalityCode code : settings.municipalities()) {
            Set<Role> roles = municipalityRoles(code);
            for (String address : QueueNames.addresses(code)) {
                configuration.addAddressSetting(address, municipalityAddressSettings(code));
                configuration.putSecurityRoles(address, roles);
            }
        }
        return configuration;
    }

    /**
     * Adds a municipality while the broker runs: its address settings, security roles, broker user and queues, as
     * {@link #start} creates them for the configured municipalities. Adding one that exists changes nothing. A broker
     * of a pair must be active.
     */
    public synchronized void addMunicipality(MunicipalityCode code) throws Exception {
        String user = QueueNames.municipalityUser(code);
        if (!passwords.containsKey(user)) {
            Set<Role> roles = municipalityRoles(code);
            for (String address : QueueNames.addresses(code)) {
                server().getAddressSettingsRepository().addMatch(address, municipalityAddressSettings(code));
                server().getSecurityRepository().addMatch(address, roles);
            }
            addUser(user, QueueNames.municipalityRole(code));
        }
        createQueues(code);
        LOG.info("Broker queues ready for an added municipality: municipality={}", code);
    }

    private static Set<Role> municipalityRoles(MunicipalityCode code) {
        return Set.of(routesRole(), operatorsRole(), new Role(QueueNames.municipalityRole(code), true, true, false,
                false, false, false, false, true, false, false, false, false));
    }

    private AddressSettings municipalityAddressSettings(MunicipalityCode code) {
        return new AddressSettings()
                // Each queue allocates its message references up front, 8,192 by default (32 KiB or more). With three
                // queues per municipality that was 170 MiB for 1,741 municipalities, so start small: it grows on demand.
                .setInitialQueueBufferSize(INITIAL_QUEUE_BUFFER_REFERENCES)
                .setAutoCreateAddresses(false)
                .setAutoCreateQueues(false)
                .setAddressFullMessagePolicy(AddressFullMessagePolicy.PAGE)
                .setMaxSizeBytes(settings.maxSizeBytes())
                .setMaxDeliveryAttempts(settings.maxDeliveryAttempts())
                .setRedeliveryDelay(settings.redeliveryDelayMillis())
                .setRedeliveryMultiplier(2.0)
                .setMaxRedeliveryDelay(60_000)
                .setDeadLetterAddress(SimpleString.of(QueueNames.deadLetter(code)))
                .setExpiryAddress(SimpleString.of(QueueNames.deadLetter(code)))
                .setSendToDLAOnNoRoute(true);
    }

    private static Role routesRole() {
        return new Role(ROUTES_ROLE, true, true, false, false, false, false, true, true, false, false, true, false);
    }

    private static Role operatorsRole() {
        return new Role(OPERATORS_ROLE, false, false, false, false, false, false, true, true, false, false, true,
                false);
    }

    private void createQueues(MunicipalityCode code) throws Exception {
        createQueueIfMissing(QueueNames.upload(code));
        if (settings.createDownloadQueues()) {
            createQueueIfMissing(QueueNames.download(code));
        }
        createQueueIfMissing(QueueNames.deadLetter(code));
    }

    private void createQueueIfMissing(String name) throws Exception {
        if (server().locateQueue(name) == null) {
            server().createQueue(QueueConfiguration.of(name)
                    .setRoutingType(RoutingType.ANYCAST)
                    .setDurable(true)
                    .setAutoCreateAddress(true));
        }
    }

    private void addUser(String user, String role) {
        byte[] secret = new byte[24];
        random.nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        users.addUser(user, password);
        users.addRole(user, role);
        passwords.put(user, password);
    }

    /** Opens a session as the application's routes user; the caller closes it. */
    public ClientSession openRoutesSession(boolean transacted) throws Exception {
        return routesSessionFactory.createSession(ROUTES_USER, passwords.get(ROUTES_USER), false,
                !transacted, !transacted, false, 0);
    }

    /**
     * Opens a session as the routes user on an in-VM connection of the calling thread's own, for a long-lived worker
     * thread that reads large bodies at its own pace. The broker client hands a connection's packets to a large body's
     * reader on one thread, which waits while the reader's buffer is full. On the shared connection a paced upload
     * (32 KiB/s) thereby held every other session's blocking calls until the client's 30 s call timeout dropped the
     * connection. Each thread keeps its connection until the broker closes.
     */
    public ClientSession openRoutesSessionOnOwnConnection(boolean transacted) throws Exception {
        ClientSessionFactory factory = threadFactory.get();
        if (factory == null || factory.isClosed()) {
            factory = locator.createSessionFactory();
            threadFactory.set(factory);
            threadFactories.add(factory);
        }
        return factory.createSession(ROUTES_USER, passwords.get(ROUTES_USER), false, !transacted, !transacted, false,
                0);
    }

    /** Opens a session as the operators' user, which may browse and manage but not send or consume. */
    public ClientSession openOperatorSession() throws Exception {
        return routesSessionFactory.createSession(OPERATOR_USER, passwords.get(OPERATOR_USER), false, true, true,
                false, 0);
    }

    /** Opens a session with the given credentials; used to check that unknown users and guests are refused. */
    public ClientSession openSession(String user, String password) throws Exception {
        return routesSessionFactory.createSession(user, password, false, true, true, false, 0);
    }

    /**
     * Opens a session as one municipality's broker user, whose rights end at its own addresses; the caller closes
     * it.
     */
    public ClientSession openMunicipalitySession(MunicipalityCode code, boolean transacted) throws Exception {
        String user = QueueNames.municipalityUser(code);
        String password = passwords.get(user);
        if (password == null) {
            throw new IllegalArgumentException("municipality " + code + " is not served by this broker");
        }
        return routesSessionFactory.createSession(user, password, false, !transacted, !transacted, false, 0);
    }

    /**
     * Returns whether the broker takes no more messages because its disk is fuller than the configured limit or its
     * global memory limit is reached. A send would then block.
     */
    public boolean isStorageFull() {
        return isActive() && (server().getPagingManager().isDiskFull() || server().getPagingManager().isGlobalFull());
    }

    /** Number of messages waiting in a queue, or 0 when the queue does not exist. */
    public long messageCount(String queueName) {
        Queue queue = server().locateQueue(queueName);
        return queue == null ? 0 : queue.getMessageCount();
    }

    public ActiveMQServer server() {
        return embedded.getActiveMQServer();
    }

    public BrokerSettings settings() {
        return settings;
    }

    @Override
    public void close() throws Exception {
        closed = true;
        for (ClientSessionFactory factory : threadFactories) {
            factory.close();
        }
        if (routesSessionFactory != null) {
            routesSessionFactory.close();
        }
        if (locator != null) {
            locator.close();
        }
        if (embedded != null) {
            embedded.stop();
            LOG.info("Broker stopped: dataDirectory={}", settings.dataDirectory());
        }
    }
}
