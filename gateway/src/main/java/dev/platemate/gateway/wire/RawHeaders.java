package dev.platemate.gateway.wire;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The headers of a request read in place ({@link HeadLines}): lookups scan the lines, and Netty's headers are built
 * only when something asks for more than a lookup, or changes them. Whether they were changed is known, so an
 * unchanged head can go upstream as the client's own lines ({@link RawHeadRequest}). Iterations are read-only
 * snapshots, so only the mutators change anything. Once {@linkplain #seal sealed}, a change is an error: the
 * upstream head has been made from the lines. Per request; one thread at a time (the event loop, or a cache
 * lookup's thread while the exchange waits for it), handed over in order.
 */
public final class RawHeaders extends HttpHeaders {

    private final HeadLines lines;
    private final HttpHeadersFactory factory;
    private HttpHeaders built;      // once asked for; from then on what the headers are
    private boolean changed;
    private boolean sealed;

    public RawHeaders(HeadLines lines, HttpHeadersFactory factory) {
        this.lines = lines;
        this.factory = factory;
    }

    /** The lines as the client sent them, unless something has changed the headers since: then null. */
    public HeadLines unchangedLines() {
        return changed ? null : lines;
    }

    /** From now on the headers stay as they are. */
    void seal() {
        if (changed) {
            throw new IllegalStateException("changed headers are not sent as the client's lines");
        }
        sealed = true;
    }

    /** The headers as Netty's, for whatever only reads. */
    private HttpHeaders built() {
        if (built == null) {
            built = factory.newHeaders();
            for (int line = 0; line < lines.count(); line++) {
                built.add(lines.name(line), lines.value(line));
            }
        }
        return built;
    }

    /** The headers as Netty's, about to be changed. */
    private HttpHeaders changing() {
        if (sealed) {
            throw new IllegalStateException("a request head is not changed once it is ready to go upstream");
        }
        changed = true;
        return built();
    }

    @Override
    public String get(String name) {
        if (built != null) {
            return built.get(name);
        }
        int line = lines.find(name, 0);
        return line < 0 ? null : lines.value(line);
    }

    /** As Netty's, a list not to be changed. */
    @Override
    public List<String> getAll(String name) {
        if (built != null) {
            return built.getAll(name);
        }
        int first = lines.find(name, 0);
        if (first < 0) {
            return List.of();
        }
        int next = lines.find(name, first + 1);
        if (next < 0) {
            return List.of(lines.value(first));
        }
        List<String> values = new ArrayList<>(4);
        values.add(lines.value(first));
        for (int line = next; line >= 0; line = lines.find(name, line + 1)) {
            values.add(lines.value(line));
        }
        return Collections.unmodifiableList(values);
    }

    /** What HttpUtil's keep-alive, chunked and other checks walk: nothing made for a name no line has. */
    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        List<String> values = getAll(name.toString());
        return values.isEmpty() ? Collections.emptyIterator() : values.iterator();
    }

    @Override
    public boolean contains(String name) {
        return built != null ? built.contains(name) : lines.find(name, 0) >= 0;
    }

    @Override
    public boolean isEmpty() {
        return built != null ? built.isEmpty() : lines.count() == 0;
    }

    @Override
    public int size() {
        return built != null ? built.size() : lines.count();
    }

    @Override
    public Integer getInt(CharSequence name) {
        return built().getInt(name);
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        return built().getInt(name, defaultValue);
    }

    @Override
    public Short getShort(CharSequence name) {
        return built().getShort(name);
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        return built().getShort(name, defaultValue);
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        return built().getTimeMillis(name);
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        return built().getTimeMillis(name, defaultValue);
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> entries = new ArrayList<>(size());
        if (built != null) {
            built.forEach(entry -> entries.add(Map.entry(entry.getKey(), entry.getValue())));
        } else {
            for (int line = 0; line < lines.count(); line++) {
                entries.add(Map.entry(lines.name(line), lines.value(line)));
            }
        }
        return Collections.unmodifiableList(entries);
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries().iterator();
    }

    /** Before the headers are built, a walk over the lines that copies nothing (the guard's walks every request's). */
    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        if (built != null) {
            Iterator<Map.Entry<String, String>> entries = iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return entries.hasNext();
                }

                @Override
                public Map.Entry<CharSequence, CharSequence> next() {
                    Map.Entry<String, String> entry = entries.next();
                    return Map.entry(entry.getKey(), entry.getValue());
                }
            };
        }
        return new Iterator<>() {
            private int line;

            @Override
            public boolean hasNext() {
                return line < lines.count();
            }

            @Override
            public Map.Entry<CharSequence, CharSequence> next() {
                if (line >= lines.count()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<CharSequence, CharSequence> entry = Map.entry(lines.nameView(line), lines.valueView(line));
                line++;
                return entry;
            }
        };
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(built().names());
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        changing().add(name, value);
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        changing().add(name, values);
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        changing().addInt(name, value);
        return this;
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        changing().addShort(name, value);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        changing().set(name, value);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        changing().set(name, values);
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        changing().setInt(name, value);
        return this;
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        changing().setShort(name, value);
        return this;
    }

    @Override
    public HttpHeaders remove(String name) {
        changing().remove(name);
        return this;
    }

    @Override
    public HttpHeaders clear() {
        changing().clear();
        return this;
    }

    @Override
    public HttpHeaders copy() {
        return built().copy();
    }

    @Override
    public String toString() {
        return built().toString();
    }
}
