using System.Collections;
using System.Diagnostics;
using System.Text.Json;
using ParameterSaliency.Models;
using static TorchSharp.torch;

/// <summary>Images per second of Debian's PyTorch (pytorch_engines.py) on the same weights and images, in this run.</summary>
internal sealed record PyTorchRates(string Version, double Loop, double Vmap8, double Vmap32, double Train)
{
    /// <summary>The best PyTorch route to per-sample gradients: the anchor of every ratio.</summary>
    public double Best => Math.Max(Loop, Math.Max(Vmap8, Vmap32));

    public string BestName => Best == Vmap32 ? "vmap(grad), 32 per call" : Best == Vmap8 ? "vmap(grad), 8 per call" : "loop, batch 1";

    /// <summary>
    /// Saves <paramref name="model"/> and the images as .pth files in <paramref name="folder"/> and runs the script on them,
    /// with <paramref name="environment"/> added to its own; null (with the reason) without Debian's python3-torch.
    /// <paramref name="transcript"/>, when given, receives every line the script printed.
    /// </summary>
    public static PyTorchRates? Measure(string folder, string name, string arch, nn.Module model, Tensor images, Tensor labels, string modes, int repeats, out string? reason,
        IReadOnlyDictionary<string, string>? environment = null, List<string>? transcript = null)
    {
        Directory.CreateDirectory(folder);
        string weights = Path.Combine(folder, $"{name}.pth"), data = Path.Combine(folder, $"{name}-images.pth");
        PyTorchCheckpoint.Save(model, weights);
        // A new file: PickleStateDict(path, ...) writes into an existing file without truncating it, which leaves a
        // corrupt zip behind when the previous file was longer.
        using (var stream = File.Create(data))
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, new Hashtable { ["images"] = images.cpu().to(ScalarType.Float32), ["labels"] = labels.cpu().to(ScalarType.Int64) });
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        // PyTorch's own threads (torch.set_num_threads) call OpenBLAS, whose pthreads would start as many again: 4 threads
        // on 2 cores. Measured on the small ViT (2026-12-06): vmap32 73 and the training step 60 img/s with OpenBLAS's
        // threads, 137 and 176 with OPENBLAS_NUM_THREADS=1. The faster PyTorch is the anchor.
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>()) start.Environment[variable] = value;
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "pytorch_engines.py"), arch, weights, data, get_num_threads().ToString(), modes, repeats.ToString() })
            start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                reason = $"PyTorch failed: {error.Result.Trim().Split('\n')[^1]}";
                return null;
            }
            transcript?.AddRange(output.Split('\n'));
            using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            var root = json.RootElement;
            double Get(string key) => root.TryGetProperty(key, out var value) ? value.GetDouble() : double.NaN;
            reason = null;
            return new PyTorchRates(root.GetProperty("torch").GetString()!, Get("loop"), Get("vmap8"), Get("vmap32"), Get("train"));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            reason = "no /usr/bin/python3 (install python3-torch for the PyTorch columns)";
            return null;
        }
    }
}
