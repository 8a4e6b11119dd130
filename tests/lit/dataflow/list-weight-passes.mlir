// RUN: llmhls-opt --list-passes | filecheck %s

// Both weight passes are registered and describe themselves.
// CHECK-DAG: hls-weight-banks {{.*}}m_axi bundles{{.*}}[banks=int (default 0)]
// CHECK-DAG: hls-weight-layout {{.*}}contiguously
