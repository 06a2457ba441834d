using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Serialization;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header
/// with dtype, shape and data offsets per tensor plus optional <c>__metadata__</c>, then raw
/// little-endian data). Files are interchangeable with Python's <c>safetensors</c> package.
/// </summary>
public static class SafeTensors
{
    const long MaxHeaderBytes = 100L * 1024 * 1024;

    static readonly Dictionary<ScalarType, (string Name, int Size)> Formats = new()
    {
        [ScalarType.Float32] = ("F32", 4),
        [ScalarType.Float64] = ("F64", 8),
        [ScalarType.Float16] = ("F16", 2),
        [ScalarType.BFloat16] = ("BF16", 2),
        [ScalarType.Int64] = ("I64", 8),
        [ScalarType.Int32] = ("I32", 4),
        [ScalarType.Int16] = ("I16", 2),
        [ScalarType.Int8] = ("I8", 1),
        [ScalarType.Byte] = ("U8", 1),
        [ScalarType.Bool] = ("BOOL", 1),
    };

    /// <summary>Writes <paramref name="tensors"/> (moved to the CPU, made contiguous) and <paramref name="metadata"/> atomically.</summary>
    /// <param name="path">File to write (replaced atomically; its folder is created if missing).</param>
    /// <param name="tensors">Named tensors of a dtype safetensors holds here (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL); names unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">String pairs written as <c>__metadata__</c>; null or empty: none.</param>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var entries = new List<(string Name, Tensor Data)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name == "__metadata__" || !names.Add(name)) throw new ArgumentException($"Tensor name '{name}' is reserved or repeated.");
            if (!Formats.ContainsKey(tensor.dtype)) throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot hold here.");
            entries.Add((name, tensor.detach().cpu().contiguous()));
        }

        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, data) in entries)
            {
                long bytes = data.numel() * Formats[data.dtype].Size;
                json.WriteStartObject(name);
                json.WriteString("dtype", Formats[data.dtype].Name);
                json.WriteStartArray("shape");
                foreach (long dim in data.shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
            stream.Write(length);
            header.Position = 0;
            header.CopyTo(stream);
            foreach (var (_, data) in entries)
                if (data.numel() > 0) stream.Write(data.bytes);
        });
    }

    /// <summary>Reads every tensor (on the CPU) and the metadata; a truncated or malformed file raises <see cref="InvalidDataException"/> naming the problem.</summary>
    /// <param name="path">Safetensors file to read.</param>
    public static SafeTensorsContent Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at '{path}'.", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses the bytes of a safetensors file already in memory; <paramref name="path"/> only names it in errors.</summary>
    /// <param name="file">The whole file's bytes.</param>
    /// <param name="path">Name of the file, used only in error messages.</param>
    public static SafeTensorsContent Parse(byte[] file, string path)
    {
        if (file.Length < 8) throw Corrupt(path, "shorter than its 8-byte header length");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > file.Length)
            throw Corrupt(path, $"header length {headerLength} does not fit a {file.Length}-byte file");
        long dataStart = 8 + headerLength;
        long dataLength = file.Length - dataStart;

        JsonDocument document;
        try { document = JsonDocument.Parse(file.AsMemory(8, (int)headerLength)); }
        catch (JsonException e) { throw Corrupt(path, "header is not valid JSON: " + e.Message); }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt(path, "header is not a JSON object");
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Name == "__metadata__")
                    {
                        foreach (var entry in property.Value.EnumerateObject()) metadata[entry.Name] = entry.Value.GetString() ?? "";
                        continue;
                    }
                    tensors[property.Name] = ReadTensor(path, property, file, dataStart, dataLength);
                }
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return new SafeTensorsContent(tensors, metadata);
    }

    static Tensor ReadTensor(string path, JsonProperty property, byte[] file, long dataStart, long dataLength)
    {
        string name = property.Name;
        try
        {
            string dtypeName = property.Value.GetProperty("dtype").GetString() ?? "";
            var format = Formats.FirstOrDefault(f => f.Value.Name == dtypeName);
            if (format.Value.Name is null) throw Corrupt(path, $"tensor '{name}' has unsupported dtype '{dtypeName}'");
            long[] shape = property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long[] offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0) || offsets.Length != 2) throw Corrupt(path, $"tensor '{name}' has a malformed shape or data_offsets");
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            long bytes = elements * format.Value.Size;
            if (offsets[0] < 0 || offsets[1] - offsets[0] != bytes)
                throw Corrupt(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] needs {bytes} bytes but its offsets span {offsets[1] - offsets[0]}");
            if (offsets[1] > dataLength)
                throw Corrupt(path, $"tensor '{name}' ends at byte {offsets[1]} of a data section of {dataLength} bytes (file truncated?)");
            var tensor = empty(shape, format.Key).DetachFromDisposeScope(); // owned by SafeTensorsContent
            if (bytes > 0) file.AsSpan((int)(dataStart + offsets[0]), (int)bytes).CopyTo(tensor.bytes);
            return tensor;
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Corrupt(path, $"tensor '{name}' has a malformed header entry: {e.Message}");
        }
    }

    static InvalidDataException Corrupt(string path, string problem) =>
        new($"'{path}' is not a valid safetensors file: {problem}.");
}

/// <summary>The tensors and <c>__metadata__</c> of a safetensors file; disposing it disposes the tensors not taken out.</summary>
/// <param name="tensors">Tensors by name; owned by this object, which disposes them.</param>
/// <param name="metadata">The file's <c>__metadata__</c> pairs.</param>
public sealed class SafeTensorsContent(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) : IDisposable
{
    /// <summary>Tensors by name, on the CPU.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;

    /// <summary>The file's <c>__metadata__</c> (string to string).</summary>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <summary>The tensor called <paramref name="name"/>, or an error naming the file's tensors.</summary>
    /// <param name="name">Tensor name, as in the file's header.</param>
    public Tensor this[string name] => tensors.TryGetValue(name, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"No tensor '{name}' in the file; it has: {string.Join(", ", tensors.Keys)}.");

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
        tensors.Clear();
    }
}
