using System.Text.Json.Serialization;

namespace ParameterSaliency.Runtime;

/// <summary>What the CPU kernel verdict cache holds (<see cref="CpuKernelPolicy.CachePath"/>).</summary>
internal sealed record CpuKernelVerdict(string Key, string Isa, ConvolutionBackend Backend, string Processor, string Reason, KernelProbeResult[] Probes);

/// <summary>
/// Source-generated JSON for the probe's answer and the verdict cache: works where reflection-based serialization is off
/// (file-based apps, trimmed builds). NaN marks an error that was not finite, so named floating-point literals are allowed.
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, UseStringEnumConverter = true)]
[JsonSerializable(typeof(KernelProbeResult))]
[JsonSerializable(typeof(CpuKernelVerdict))]
internal sealed partial class CpuKernelJson : JsonSerializerContext;
