#ifndef ACTIVITYD_FEATURES_THREADS_H
#define ACTIVITYD_FEATURES_THREADS_H
#ifdef __cplusplus
extern "C" {
#endif
void activityd_set_num_threads(int n);
int activityd_get_num_threads(void);
#ifdef __cplusplus
}
#endif
#endif
