package jp.kouiki.window.agent;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.IntStream;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * Hands each picked-up file to one of a fixed number of lanes, chosen by the municipality folder the file lies in.
 * Files of several municipalities are thus checked, encrypted and committed at once. A lane is a single thread that
 * runs the take route for one file after another, so each municipality's files keep the order in which the file
 * consumer found them. The file consumer moves a file out of the outbox only when its lane has finished with it.
 */
final class PickupLanes extends AsyncProcessorSupport implements AsyncProcessor {

    private final List<ExecutorService> lanes;
    private final ProducerTemplate template;
    private final Endpoint take;

    PickupLanes(CamelContext camel, Object owner, int count, String takeUri) {
        this.lanes = IntStream.range(0, count)
                .mapToObj(lane -> camel.getExecutorServiceManager().newSingleThreadExecutor(owner,
                        "outbox-lane-" + lane))
                .toList();
        this.template = camel.createProducerTemplate();
        this.take = camel.getEndpoint(takeUri);
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        String relativePath = exchange.getMessage().getHeader(Exchange.FILE_NAME, String.class);
        String folder = relativePath == null ? "" : relativePath.split("[/\\\\]", 2)[0];
        ExecutorService lane = lanes.get(Math.floorMod(folder.hashCode(), lanes.size()));
        try {
            lane.execute(() -> {
                try {
                    template.send(take, exchange);
                } catch (RuntimeException e) {
                    exchange.setException(e);
                } finally {
                    callback.done(false);
                }
            });
        } catch (RejectedExecutionException e) {
            // The agent is stopping; the file stays in the outbox for the next start.
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        return false;
    }
}
