package dev.platemate.gateway.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket transport: Netty's io_uring where the kernel allows it (measured cheaper per request than epoll here,
 * bench/README.md), else native epoll on Linux, else NIO; or the one {@code GATEWAY_TRANSPORT} names
 * ({@code io_uring}, {@code epoll}, {@code nio}) where it loads (else the default, and the log says so).
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel,
                        Class<? extends DatagramChannel> datagramChannel) {

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    public static Transport detect() {
        return detect(System.getenv("GATEWAY_TRANSPORT"));
    }

    /** @param wanted {@code io_uring}, {@code epoll} or {@code nio}; null or empty: the default */
    public static Transport detect(String wanted) {
        String name = wanted == null || wanted.isEmpty() ? "default" : wanted;
        switch (name) {
            case "nio" -> {
                return nio();
            }
            case "epoll" -> {
                if (Epoll.isAvailable()) {
                    return epoll();
                }
                log.warn("GATEWAY_TRANSPORT=epoll, but epoll does not load here: the default transport runs");
            }
            case "io_uring", "default" -> {
                if (IoUring.isAvailable()) {
                    return ioUring();
                }
                if (!name.equals("default")) {
                    log.warn("GATEWAY_TRANSPORT=io_uring, but io_uring does not load here ({}): the default "
                            + "transport runs", IoUring.unavailabilityCause().toString());
                }
            }
            default -> log.warn("GATEWAY_TRANSPORT={} is none of io_uring, epoll, nio: the default transport runs",
                    wanted);
        }
        return IoUring.isAvailable() ? ioUring() : Epoll.isAvailable() ? epoll() : nio();
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDatagramChannel.class);
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class);
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class);
    }

    /**
     * The buffer allocator for every channel: the pooled one. Netty 4.2's default adaptive allocator recycles
     * chunks through shared queues, which measured slower on the request path here (bench/README.md).
     */
    public ByteBufAllocator allocator() {
        return PooledByteBufAllocator.DEFAULT;
    }

    /** @param threads 0 means one per core */
    public EventLoopGroup newGroup(int threads, String threadName) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }
}
